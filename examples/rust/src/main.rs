//! Runs the sandgate flow against the embedded mock server; exits 0 when every step behaved.

#[tokio::main]
async fn main() -> std::process::ExitCode {
    match sandgate_example::run(|line| println!("{line}")).await {
        Ok(()) => {
            println!("every step behaved");
            std::process::ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!("step failed: {e}");
            std::process::ExitCode::FAILURE
        }
    }
}
