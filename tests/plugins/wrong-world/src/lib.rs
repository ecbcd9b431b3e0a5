//! Test fixture: a well-formed component of a different world, which the
//! host must refuse at the link step.

#![allow(missing_docs)]

wit_bindgen::generate!({
    inline: r"
        package other:greeter@1.0.0;
        world greeter {
            export greet: func(name: string) -> string;
        }
    ",
});

struct Greeter;

impl Guest for Greeter {
    fn greet(name: String) -> String {
        format!("hello, {name}")
    }
}

export!(Greeter);
