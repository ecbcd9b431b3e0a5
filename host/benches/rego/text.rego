# Text helpers shared by the policies: what the Rust SDK's `text` module and
# the host's phrase reader do, in the built-ins of core Rego. Rego has no
# tokeniser but regular expressions, and regorus's regex built-ins are left
# out of the build used here (default features off, `std` and `arc` on), so
# words are made by replacing every separator these maps list with a space
# and splitting on spaces. A character missing from them joins the words on
# either side of it, where Rust splits on every character that is neither a
# letter nor a digit (emoji, CJK punctuation, symbols beyond these).
package escalator.text

import rego.v1

# The SDK's separators: ASCII punctuation and controls but the apostrophe,
# and the marks customers type in English, Portuguese and Spanish.
separators := {
	"\t": " ", "\n": " ", "\r": " ", "!": " ", "\"": " ", "#": " ", "$": " ",
	"%": " ", "&": " ", "(": " ", ")": " ", "*": " ", "+": " ", ",": " ",
	"-": " ", ".": " ", "/": " ", ":": " ", ";": " ", "<": " ", "=": " ",
	">": " ", "?": " ", "@": " ", "[": " ", "\\": " ", "]": " ", "^": " ",
	"_": " ", "`": " ", "{": " ", "|": " ", "}": " ", "~": " ", "¡": " ",
	"¿": " ", "«": " ", "»": " ", "‘": " ", "’": " ", "“": " ", "”": " ",
	"„": " ", "…": " ", "–": " ", "—": " ", "•": " ",
}

# The SDK's words: lowercased runs of letters, digits and apostrophes.
words(text) := [w | some w in split(strings.replace_n(separators, lower(text)), " "); w != ""]

# A phrase as the SDK compares it: its words, with the phrase as written
# kept for the vote's detail.
phrase(text) := {"text": text, "words": words(text)}

# Whether the phrase's words appear consecutively in `ws`; an empty phrase
# never does.
has_phrase(ws, pw) if {
	n := count(pw)
	n > 0
	some i, w in ws
	w == pw[0]
	array.slice(ws, i, i + n) == pw
}

# The first of `phrases` (in list order) that `ws` contains, as written.
first_of(ws, phrases) := found[0] if {
	found := [p.text | some p in phrases; has_phrase(ws, p.words)]
}

# Jaccard similarity of two word lists' sets.
similarity(a, b) := 1 if {
	count(a) == 0
	count(b) == 0
} else := count(sa & sb) / count(sa | sb) if {
	sa := {w | some w in a}
	sb := {w | some w in b}
}

# The host's reading of a customer message (config/phrases/fold.rs): case
# and accents folded away, apostrophes dropped, and sentence ends kept as
# marks ("\u0001") so that negations and hypotheticals are judged within
# their sentence. strings.replace_n replaces keys one after another in
# sorted order, so no replacement may hold a key replaced after it.
fold_marks := object.union(accents, {
	"\t": " ", "\n": " \u0001 ", "\r": " ", "!": " \u0001 ", "\"": " ",
	"#": " ", "$": " ", "%": " ", "&": " ", "'": "", "(": " ", ")": " ",
	"*": " ", "+": " ", ",": " ", "-": " ", ".": " \u0001 ", "/": " ",
	":": " ", ";": " \u0001 ", "<": " ", "=": " ", ">": " ", "?": " \u0001 ",
	"@": " ", "[": " ", "\\": " ", "]": " ", "^": " ", "_": " ", "`": " ",
	"{": " ", "|": " ", "}": " ", "~": " ", "¡": " ", "¿": " ", "«": " ",
	"»": " ", "‘": " ", "’": "", "“": " ", "”": " ", "„": " ", "…": " ",
	"–": " ", "—": " ", "•": " ",
})

accents := {
	"à": "a", "á": "a", "â": "a", "ã": "a", "ä": "a", "å": "a", "ç": "c",
	"è": "e", "é": "e", "ê": "e", "ë": "e", "ì": "i", "í": "i", "î": "i",
	"ï": "i", "ñ": "n", "ò": "o", "ó": "o", "ô": "o", "õ": "o", "ö": "o",
	"ù": "u", "ú": "u", "û": "u", "ü": "u", "ý": "y", "ÿ": "y",
}

is_mark(p) if p == "\u0001"

# A message read once: its folded words and the sentence of each. A
# sentence mark after no word ends nothing, as in the host ("Really?!" is
# one sentence). Whether a sentence is a question is not kept: the host
# uses it only to tell a hypothetical asked from one stated, and neither
# counts as stated.
read(text) := {"words": ws, "sentence": sentence} if {
	parts := [p | some p in split(strings.replace_n(fold_marks, lower(text)), " "); p != ""]
	ends := [q | some q, p in parts; is_mark(p); q > 0; not is_mark(parts[q - 1])]
	at := [k | some k, p in parts; not is_mark(p)]
	ws := [parts[k] | some k in at]
	sentence := [count([q | some q in ends; q < k]) | some k in at]
}

# A configured phrase folded as messages are; `word*` (a prefix) and `..`
# (up to three words) are kept as written.
pattern(text) := [w | some w in split(strings.replace_n(pattern_folds, lower(text)), " "); w != ""]

pattern_folds := object.union(accents, {"'": "", "’": ""})

word_ok(w, a) if w == a

word_ok(w, a) if {
	endswith(a, "*")
	startswith(w, trim_suffix(a, "*"))
}

seq_at(ws, s, seq) if {
	s + count(seq) <= count(ws)
	every j, a in seq {
		word_ok(ws[s + j], a)
	}
}

# Where a pattern matching at word `s` ends; a gap takes as few words as it
# can, as in the host.
match_end(ws, s, pt) := s + count(pt) if {
	not ".." in pt
	seq_at(ws, s, pt)
} else := ends[0] if {
	some g, ".." in pt
	head := array.slice(pt, 0, g)
	tail := array.slice(pt, g + 1, count(pt))
	seq_at(ws, s, head)
	ends := [end |
		some n in [0, 1, 2, 3]
		e := (s + count(head)) + n
		seq_at(ws, e, tail)
		end := e + count(tail)
	]
}

# The end of the match starting at word `s`: the first pattern of the list
# that matches there, so at most one match per word, as in the host. A list
# is either patterns as written, to be tried one by one, or an index by
# first word (exact words first, then prefixes, as the host orders them).
end_at(ws, s, list) := ends[0] if {
	is_array(list)
	ends := [e | some pt in list; word_ok(ws[s], pt[0]); e := match_end(ws, s, pt)]
} else := ends[0] if {
	w := ws[s]
	candidates := array.concat(
		object.get(list.exact, w, []),
		[p.pattern | some p in list.prefix; startswith(w, p.stem)],
	)
	ends := [e | some pt in candidates; e := match_end(ws, s, pt)]
}

# Every match in `ws`, as [start, end], in order.
matches(ws, list) := [[s, e] | some s, _ in ws; e := end_at(ws, s, list)]

# The share of `ws` that matches of `list` cover.
coverage(ws, list) := count(covered) / count(ws) if {
	count(ws) > 0
	covered := {k | some [s, e] in matches(ws, list); some k in numbers.range(s, e - 1)}
} else := 0

# A pattern list indexed by first word, as the host compiles it: patterns
# starting with a word, by that word, and those starting with a prefix, in
# list order. (A pattern starting with a gap is not supported.)
index(list) := {
	"exact": {w: [pt | some pt in list; pt[0] == w] | some p in list; w := p[0]; not endswith(w, "*")},
	"prefix": [{"stem": trim_suffix(pt[0], "*"), "pattern": pt} | some pt in list; endswith(pt[0], "*")],
}
