//! The sandbox every plugin call runs in: one shared engine and linker, and a
//! fresh store per call with its own fuel, deadline, memory cap and a WASI
//! context that grants nothing (no files, environment, arguments, network or
//! inherited stdio).

use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use wasmtime::component::{Component, HasSelf, Linker, ResourceTable};
use wasmtime::{
    Config as EngineConfig, Engine, InstanceAllocationStrategy, PoolingAllocationConfig,
    ResourceLimiter, Store, StoreLimits, StoreLimitsBuilder, Trap,
};
use wasmtime_wasi::p2::pipe::MemoryOutputPipe;
use wasmtime_wasi::{WasiCtx, WasiCtxView, WasiView};

use super::bindings::{self, Level};
use super::cache::artifacts::{ArtifactCache, Origin};
use super::entropy::{Entropy, Observed};
use super::secrets::Secrets;
use crate::config::Limits;
use crate::decision::vote::FailureKind;

/// How often the epoch advances. Deadlines are counted in these ticks, so a
/// call overruns its deadline by at most one tick (Spin uses 10 ms; a finer
/// tick costs a wake-up per tick and nothing per instruction).
pub const EPOCH_TICK: Duration = Duration::from_millis(5);

/// The shared, immutable part of the sandbox.
pub struct Runtime {
    engine: Engine,
    linker: Linker<PluginState>,
    cache: Option<ArtifactCache>,
    permits: Arc<tokio::sync::Semaphore>,
    /// Set by [`Runtime::solo`]: each decision runs its plugins on its own
    /// thread.
    solo: std::sync::atomic::AtomicBool,
}

/// Instances the pooling allocator keeps slots for. Each decision holds one
/// instance per plugin while it runs; 1000 covers 10 plugins × 2 × cores of
/// concurrent decisions with room to spare, and slots are virtual memory
/// until used.
const POOLED_INSTANCES: u32 = 1000;

impl Runtime {
    /// Builds the engine (fuel and epoch interruption on, pooling
    /// allocator with copy-on-write memory images) and a linker with WASI and
    /// the `escalator:rules/host` interface, and starts the epoch ticker,
    /// which stops when the engine is dropped. `cache_dir` enables the
    /// compiled-artifact cache.
    pub fn new(cache_dir: Option<PathBuf>) -> anyhow::Result<Arc<Runtime>> {
        Runtime::build(cache_dir)
            .map_err(|e| anyhow::anyhow!("cannot start the Wasm runtime: {e:#}"))
    }

    fn build(cache_dir: Option<PathBuf>) -> wasmtime::Result<Arc<Runtime>> {
        let mut config = EngineConfig::new();
        config.wasm_component_model(true);
        config.consume_fuel(true);
        config.epoch_interruption(true);
        config.memory_init_cow(true);
        // With Linux's PAGEMAP_SCAN (kernel 6.7+, used when present), a
        // slot's memory is reset for its next instance by rewriting only the
        // pages the last one dirtied, up to `keep_resident` bytes, and they
        // stay mapped; only what lies beyond is given back with `madvise`.
        // `madvise` alone unmapped every page, sent TLB shootdowns to the
        // other cores and made the next instance fault each page back in:
        // this halved instantiation. 1 MiB covers a Rust plugin's working
        // set (16 MiB measured the same) and bounds what each warm slot keeps
        // resident; for a Python plugin, which dirties far more, 16 MiB was
        // slower (3.3 ms against 2.7 ms per fresh evaluation), as that much
        // was copied back on every reset. Without the ioctl the first MiB is
        // `memset` whether dirty or not.
        let keep_resident = 1 << 20;
        let mut pool = PoolingAllocationConfig::default();
        pool.total_component_instances(POOLED_INSTANCES)
            .total_core_instances(POOLED_INSTANCES * 16)
            .total_memories(POOLED_INSTANCES * 4)
            .total_tables(POOLED_INSTANCES * 4)
            .max_core_instances_per_component(64)
            .max_memories_per_component(16)
            .max_tables_per_component(16)
            // Per-plugin caps are enforced by each store's limiter; the pool
            // only has to fit the largest allowed (`memory_mib` ≤ 4096).
            .max_memory_size(4 << 30)
            .table_elements(100_000)
            .linear_memory_keep_resident(keep_resident)
            .table_keep_resident(1 << 16)
            .pagemap_scan(wasmtime::Enabled::Auto);
        config.allocation_strategy(InstanceAllocationStrategy::Pooling(pool));
        let engine = Engine::new(&config)?;
        let cache = cache_dir.map(|dir| ArtifactCache::new(dir, &engine));

        let mut linker = Linker::new(&engine);
        wasmtime_wasi::p2::add_to_linker_sync(&mut linker)?;
        bindings::v0_3::Rule::add_to_linker::<_, HasSelf<_>>(
            &mut linker,
            |state: &mut PluginState| state,
        )?;
        bindings::v0_2::Rule::add_to_linker::<_, HasSelf<_>>(
            &mut linker,
            |state: &mut PluginState| state,
        )?;
        bindings::v0_1::Rule::add_to_linker::<_, HasSelf<_>>(
            &mut linker,
            |state: &mut PluginState| state,
        )?;

        let weak = engine.weak();
        std::thread::Builder::new()
            .name("escalator-epoch".into())
            .spawn(move || {
                while let Some(engine) = weak.upgrade() {
                    engine.increment_epoch();
                    drop(engine);
                    std::thread::sleep(EPOCH_TICK);
                }
            })?;

        // Two per core: a decision waiting on its slowest plugin leaves
        // its core to another.
        let cores = std::thread::available_parallelism().map_or(2, |n| n.get());
        Ok(Arc::new(Runtime {
            engine,
            linker,
            cache,
            permits: Arc::new(tokio::sync::Semaphore::new(cores * 2)),
            solo: std::sync::atomic::AtomicBool::new(false),
        }))
    }

    /// Compiles a component whose file hashes to `sha256`, or loads it from
    /// the compiled-artifact cache.
    pub fn compile(&self, bytes: &[u8], sha256: &str) -> wasmtime::Result<(Component, Origin)> {
        match &self.cache {
            Some(cache) => cache.get_or_compile(&self.engine, sha256, bytes),
            None => Ok((Component::new(&self.engine, bytes)?, Origin::Compiled)),
        }
    }

    /// The engine plugins are compiled for.
    pub fn engine(&self) -> &Engine {
        &self.engine
    }

    /// The CPU permits plugin work takes: the API holds one while a request
    /// decides, and a helper thread evaluating another decision's plugins
    /// takes a spare one or none ([`super::fan_out`]), so plugin work never
    /// oversubscribes the cores.
    pub fn permits(&self) -> &Arc<tokio::sync::Semaphore> {
        &self.permits
    }

    /// Keeps every decision's plugins on the deciding thread: for work
    /// that brings threads of its own, one per core (a replay), and runs
    /// at a lower priority than serving, which helper threads would not.
    pub fn solo(&self) {
        self.solo.store(true, std::sync::atomic::Ordering::Relaxed);
    }

    /// Whether [`Runtime::solo`] was called.
    pub fn is_solo(&self) -> bool {
        self.solo.load(std::sync::atomic::Ordering::Relaxed)
    }

    /// The linker that resolves a plugin's imports.
    pub fn linker(&self) -> &Linker<PluginState> {
        &self.linker
    }

    /// A fresh store for one call of plugin `plugin` on conversation
    /// `conversation`, with `limits` applied, seeing the world of `entropy`.
    pub fn store(
        &self,
        plugin: &Arc<str>,
        conversation: &str,
        limits: &Limits,
        entropy: &Entropy,
    ) -> Store<PluginState> {
        let output_cap = (limits.output_kib as usize) * 1024;
        let stdout = MemoryOutputPipe::new(output_cap);
        let stderr = MemoryOutputPipe::new(output_cap);
        let observed = Observed::new(entropy);
        let mut wasi = WasiCtx::builder();
        wasi.wall_clock(observed.wall_clock())
            .monotonic_clock(observed.monotonic_clock())
            .secure_random(observed.secure_random())
            .insecure_random(observed.insecure_random())
            // Fixed for the store's life: exact for a fresh instance, and a
            // reused one keeps what it derived from it anyway.
            .insecure_random_seed(entropy.insecure_seed())
            .stdout(stdout.clone())
            .stderr(stderr.clone())
            .allow_tcp(false)
            .allow_udp(false)
            .allow_ip_name_lookup(false);
        let state = PluginState {
            wasi: wasi.build(),
            table: ResourceTable::new(),
            limits: Limiter {
                inner: StoreLimitsBuilder::new()
                    .memory_size((limits.memory_mib as usize) << 20)
                    .instances(64)
                    .tables(64)
                    .memories(16)
                    .table_elements(1_000_000)
                    .build(),
                memory_denied: false,
                peak_memory: 0,
            },
            plugin: plugin.clone(),
            conversation: conversation.to_owned(),
            log_budget: output_cap,
            output_cap,
            stdout,
            stderr,
            flushed: [0, 0],
            observed,
            secrets: Arc::default(),
        };
        let mut store = Store::new(&self.engine, state);
        store.limiter(|s| &mut s.limits);
        store.epoch_deadline_trap();
        Runtime::arm(&mut store, conversation, limits, entropy);
        store
    }

    /// Readies a store for one call: a full fuel budget, a fresh deadline,
    /// a fresh log budget, the conversation's id for the log, and the
    /// clocks and generators of the decision.
    pub fn arm(
        store: &mut Store<PluginState>,
        conversation: &str,
        limits: &Limits,
        entropy: &Entropy,
    ) {
        store
            .set_fuel(limits.fuel)
            .expect("fuel is enabled on this engine");
        let ticks = limits
            .deadline_ms
            .div_ceil(EPOCH_TICK.as_millis() as u64)
            .max(1);
        store.set_epoch_deadline(ticks);
        let state = store.data_mut();
        state.log_budget = state.output_cap;
        state.limits.memory_denied = false;
        state.conversation.clear();
        state.conversation.push_str(conversation);
        state.observed.arm(entropy);
    }
}

/// Store limits that remember whether they refused a memory growth, so that
/// the trap a guest raises when its allocator fails can be classified as
/// out-of-memory rather than as a generic trap.
struct Limiter {
    inner: StoreLimits,
    memory_denied: bool,
    peak_memory: usize,
}

impl ResourceLimiter for Limiter {
    fn memory_growing(
        &mut self,
        current: usize,
        desired: usize,
        maximum: Option<usize>,
    ) -> wasmtime::Result<bool> {
        let allowed = self.inner.memory_growing(current, desired, maximum)?;
        self.memory_denied |= !allowed;
        if allowed {
            self.peak_memory = self.peak_memory.max(desired);
        }
        Ok(allowed)
    }

    fn table_growing(
        &mut self,
        current: usize,
        desired: usize,
        maximum: Option<usize>,
    ) -> wasmtime::Result<bool> {
        self.inner.table_growing(current, desired, maximum)
    }

    fn instances(&self) -> usize {
        self.inner.instances()
    }

    fn tables(&self) -> usize {
        self.inner.tables()
    }

    fn memories(&self) -> usize {
        self.inner.memories()
    }
}

/// Per-call state of one plugin instance.
pub struct PluginState {
    wasi: WasiCtx,
    table: ResourceTable,
    limits: Limiter,
    plugin: Arc<str>,
    conversation: String,
    log_budget: usize,
    output_cap: usize,
    stdout: MemoryOutputPipe,
    stderr: MemoryOutputPipe,
    /// How much of each pipe has been sent to the log (a reused instance
    /// keeps its pipes).
    flushed: [usize; 2],
    /// The clocks and generators the WASI context reads.
    observed: Observed,
    /// The plugin's secret values, scrubbed from what it prints and logs.
    secrets: Arc<Secrets>,
}

impl PluginState {
    /// The largest linear memory the instance reached, in bytes.
    pub fn peak_memory(&self) -> usize {
        self.limits.peak_memory
    }

    /// True when the plugin asked for more memory than its cap allows.
    pub fn memory_denied(&self) -> bool {
        self.limits.memory_denied
    }

    /// Gives the instance its plugin's secret values, to scrub from what
    /// it prints and logs from now on.
    pub fn set_secrets(&mut self, secrets: Arc<Secrets>) {
        self.secrets = secrets;
    }

    /// Sends what the plugin printed to the host log under its name.
    pub fn flush_output(&mut self) {
        for (i, (stream, pipe)) in [("stdout", &self.stdout), ("stderr", &self.stderr)]
            .into_iter()
            .enumerate()
        {
            let bytes = pipe.contents();
            let new = bytes.get(self.flushed[i]..).unwrap_or_default();
            for line in String::from_utf8_lossy(new)
                .lines()
                .filter(|l| !l.is_empty())
            {
                let line = self.secrets.scrub(line);
                tracing::info!(plugin = &*self.plugin, conversation = %self.conversation, stream, "{line}");
            }
            self.flushed[i] = bytes.len();
        }
    }

    /// True when the output pipes are more than half full: a reused instance
    /// is retired before its output cap could make a write fail.
    pub fn output_nearly_full(&self) -> bool {
        self.flushed.iter().any(|f| *f > self.output_cap / 2)
    }
}

impl WasiView for PluginState {
    fn ctx(&mut self) -> WasiCtxView<'_> {
        WasiCtxView {
            ctx: &mut self.wasi,
            table: &mut self.table,
        }
    }
}

impl bindings::v0_3::escalator::rules::host::Host for PluginState {
    fn log(&mut self, level: Level, message: String) {
        // A plugin logging in a loop must not flood the host's log: once the
        // per-call budget is spent, records are dropped (and one notice says so).
        if self.log_budget == 0 {
            return;
        }
        // Scrubbed before it is cut, so a cut cannot split a secret and
        // leave its start behind.
        let mut message = message;
        self.secrets.scrub_string(&mut message);
        if message.len() >= self.log_budget {
            let mut cut = self.log_budget;
            while !message.is_char_boundary(cut) {
                cut -= 1;
            }
            message.truncate(cut);
            message.push_str(" [log budget for this call spent; further records dropped]");
            self.log_budget = 0;
        } else {
            self.log_budget -= message.len();
        }
        let plugin = &*self.plugin;
        let conversation = self.conversation.as_str();
        match level {
            Level::Trace => tracing::trace!(plugin, conversation, "{message}"),
            Level::Debug => tracing::debug!(plugin, conversation, "{message}"),
            Level::Info => tracing::info!(plugin, conversation, "{message}"),
            Level::Warn => tracing::warn!(plugin, conversation, "{message}"),
            Level::Error => tracing::error!(plugin, conversation, "{message}"),
        }
    }
}

impl bindings::v0_3::escalator::rules::types::Host for PluginState {}

/// Plugins built against 0.2 log through the same budget.
impl bindings::v0_2::escalator::rules::host::Host for PluginState {
    fn log(&mut self, level: bindings::v0_2::escalator::rules::host::Level, message: String) {
        use bindings::v0_2::escalator::rules::host::Level as Old;
        let level = match level {
            Old::Trace => Level::Trace,
            Old::Debug => Level::Debug,
            Old::Info => Level::Info,
            Old::Warn => Level::Warn,
            Old::Error => Level::Error,
        };
        bindings::v0_3::escalator::rules::host::Host::log(self, level, message);
    }
}

impl bindings::v0_2::escalator::rules::types::Host for PluginState {}

/// Plugins built against 0.1 log through the same budget.
impl bindings::v0_1::escalator::rules::host::Host for PluginState {
    fn log(&mut self, level: bindings::v0_1::escalator::rules::host::Level, message: String) {
        use bindings::v0_1::escalator::rules::host::Level as Old;
        let level = match level {
            Old::Trace => Level::Trace,
            Old::Debug => Level::Debug,
            Old::Info => Level::Info,
            Old::Warn => Level::Warn,
            Old::Error => Level::Error,
        };
        bindings::v0_3::escalator::rules::host::Host::log(self, level, message);
    }
}

impl bindings::v0_1::escalator::rules::types::Host for PluginState {}

/// The class of a failed plugin call, as shown in a vote's `error.kind`.
/// `memory_denied` tells whether the store refused a memory growth during
/// the call: a guest whose allocator fails then aborts with a plain trap.
pub fn classify(error: &wasmtime::Error, memory_denied: bool) -> FailureKind {
    match error.downcast_ref::<Trap>() {
        Some(Trap::OutOfFuel) => FailureKind::OutOfFuel,
        Some(Trap::Interrupt) => FailureKind::Deadline,
        _ if memory_denied => FailureKind::OutOfMemory,
        _ => FailureKind::Trap,
    }
}

/// Renders a wasmtime error with its causes on one line.
pub fn describe_error(error: &wasmtime::Error) -> String {
    format!("{error:#}")
}
