//! Ctrl-C and SIGTERM (what Slurm and Kubernetes send before killing): a training command
//! finishes its step, checkpoints and exits with the shell's status for the signal; a command
//! that runs children ([`stop_flag`]) forwards it to each once ([`interrupt`]).

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

use anyhow::Context;

/// Exit status of a run stopped by Ctrl-C (128 + SIGINT, what shells report).
pub const INTERRUPTED: u8 = 130;
/// Exit status of a run stopped by SIGTERM (128 + 15).
pub const TERMINATED: u8 = 143;

/// Which signal stopped a command, once [`watch`] is installed.
pub struct Signals {
    terminated: Arc<AtomicBool>,
}

impl Signals {
    /// The exit status for the signal that stopped the command.
    pub fn status(&self) -> u8 {
        if self.terminated.load(Ordering::SeqCst) {
            TERMINATED
        } else {
            INTERRUPTED
        }
    }
}

/// Ctrl-C and SIGTERM set `stop`: the trainer finishes the step and checkpoints. The same
/// signal again, with `stop` already set, exits at once.
pub fn watch(stop: &Arc<AtomicBool>) -> anyhow::Result<Signals> {
    use signal_hook::consts::{SIGINT, SIGTERM};
    let terminated = Arc::new(AtomicBool::new(false));
    for (signal, status) in [(SIGINT, INTERRUPTED), (SIGTERM, TERMINATED)] {
        signal_hook::flag::register_conditional_shutdown(signal, i32::from(status), stop.clone())
            .context("installing the signal handlers")?;
        signal_hook::flag::register(signal, stop.clone())
            .context("installing the signal handlers")?;
    }
    signal_hook::flag::register(SIGTERM, terminated.clone())
        .context("installing the signal handlers")?;
    Ok(Signals { terminated })
}

/// For a process that waits on child processes: Ctrl-C and SIGTERM only set the returned flag
/// (the process stays alive to forward them with [`interrupt`] and collect its children).
pub fn stop_flag() -> anyhow::Result<Arc<AtomicBool>> {
    let stop = Arc::new(AtomicBool::new(false));
    for signal in [signal_hook::consts::SIGINT, signal_hook::consts::SIGTERM] {
        signal_hook::flag::register(signal, stop.clone())
            .context("installing the signal handlers")?;
    }
    Ok(stop)
}

/// Sends SIGINT to a child that runs in its own process group (a terminal's Ctrl-C does not
/// reach it): it finishes its step, checkpoints and exits. Send it once — a second SIGINT makes
/// a trainer quit without a checkpoint.
pub fn interrupt(child: &std::process::Child) {
    let _ = std::process::Command::new("kill")
        .args(["-INT", &child.id().to_string()])
        .status();
}
