//! The `s3op` binary: parses the command line (see `cli`), runs one command, prints its envelope and
//! exits 0 (success), 1 (S3 error or failed connection) or 2 (bad input; nothing sent).

mod cli;

fn main() {
    let code = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(runtime) => runtime.block_on(cli::run(std::env::args_os().collect())),
        Err(e) => {
            eprintln!("s3op: cannot start the async runtime: {e}");
            1
        }
    };
    std::process::exit(code);
}
