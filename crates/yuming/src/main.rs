//! `yuming`: the one binary. `yuming serve` runs every listener; the other commands are
//! operator tools working on the same database, also while `serve` runs.

mod bench;
mod bench_filing;
mod bench_help;
mod cli;
mod commands;
mod http_server;
mod serve;
mod setup;

use clap::Parser;

/// mimalloc instead of glibc's allocator: the request path allocates many small, short-lived
/// objects (headers, JSON, rows) across worker threads, where glibc malloc took about a fifth
/// of the CPU of `GET /api/v1/domains` in a profile (issue 14, `bench/api.sh`).
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() -> std::process::ExitCode {
    let cli = cli::Cli::parse();
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(runtime) => runtime,
        Err(e) => {
            eprintln!("error: cannot start the async runtime: {e}");
            return std::process::ExitCode::FAILURE;
        }
    };
    match runtime.block_on(commands::run(cli)) {
        Ok(code) => code,
        Err(e) => {
            eprintln!("error: {e:#}");
            std::process::ExitCode::FAILURE
        }
    }
}
