//! P5, start-up cost of go-plugin mode: launches the release binary 10 times
//! per mode as a go-plugin host would (`plugin --emulator`, cookie and
//! `PLUGIN_*` set), plaintext and AutoMTLS, and prints the median, min and
//! max time from spawn to the handshake line beside the goal (as a ratio:
//! at most 1.0 meets it), and the peak RSS. The measuring code is
//! `examples/common/plugin_start.rs`, which other examples include too.
//!
//! ```sh
//! cargo build --release && cargo run --release --example plugin_startup
//! ```
//!
//! The binary is `$DATABRICKS_GRPC_BIN`, else `databricks-grpc` next to the
//! example's own build directory (`target/release/`).

#[path = "common/plugin_start.rs"]
mod plugin_start;

use plugin_start::{GOAL, Mode, mib, ms};

const RUNS: usize = 10;

fn main() -> anyhow::Result<()> {
    let binary = plugin_start::binary()?;
    println!("binary: {}", binary.display());
    println!("{RUNS} launches per mode: `plugin --emulator`, stopped with SIGTERM after each\n");
    println!(
        "| mode | spawn → handshake: median (min–max) | goal | median / goal | peak RSS (VmHWM): median (min–max) |"
    );
    println!("|---|---|---|---|---|");
    for mode in Mode::ALL {
        let figures = plugin_start::measure(&binary, mode, RUNS)?;
        let [rss_median, rss_min, rss_max] = figures.peak_rss_kib;
        println!(
            "| {} | {:.1} ms ({:.1}–{:.1}) | ≤ {:.0} ms | {:.2} {} | {:.1} MiB ({:.1}–{:.1}) |",
            mode.label(),
            ms(figures.median),
            ms(figures.min),
            ms(figures.max),
            ms(GOAL),
            figures.ratio_to_goal(),
            if figures.ratio_to_goal() <= 1.0 {
                "(met)"
            } else {
                "(missed)"
            },
            mib(rss_median),
            mib(rss_min),
            mib(rss_max),
        );
    }
    Ok(())
}
