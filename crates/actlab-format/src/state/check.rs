//! What a checkpoint state must hold to be believed: every value a run can have, checked on
//! every read ([`CheckpointState::check`]) and against the run's config before resuming
//! ([`CheckpointState::check_run`]).

use std::path::Path;

use super::{CheckpointState, EpochRecord, FORMAT, PartialEpoch, TrainState};
use crate::error::FileError;

impl CheckpointState {
    /// What every state actlab writes holds: the format, file names inside `checkpoint/`, a
    /// history of exactly `epochs_completed` epochs numbered 1, 2, … with finite losses and
    /// accuracies in [0, 1], sums of an unfinished epoch exactly when one was stopped in, an RNG
    /// position that is the run's position. The message says what is wrong.
    pub fn check(&self) -> Result<(), String> {
        if self.format != FORMAT {
            return Err(format!(
                "checkpoint format {} (this build reads format {FORMAT})",
                self.format
            ));
        }
        for name in [&self.model_file, &self.optimizer_file] {
            let plain = !name.is_empty()
                && name != "."
                && name != ".."
                && !name.contains(['/', '\\'])
                && !name.starts_with(".tmp");
            if !plain {
                return Err(format!(
                    "checkpoint file name {name:?} is not a plain file name in checkpoint/"
                ));
            }
        }
        for (what, hash) in [
            ("model_sha256", &self.model_sha256),
            ("optimizer_sha256", &self.optimizer_sha256),
        ] {
            if !hash.is_empty() && !is_sha256(hash) {
                return Err(format!(
                    "{what} = {hash:?} is not a SHA-256 (64 hex digits)"
                ));
            }
        }
        self.train.check()?;
        let t = &self.train;
        let rng = &self.rng;
        if rng.algorithm != "chacha8" {
            return Err(format!(
                "rng.algorithm = {:?}: this build shuffles with \"chacha8\"",
                rng.algorithm
            ));
        }
        if rng.stream != t.epochs_completed as u64 + 1 || rng.position != t.steps_into_epoch {
            return Err(format!(
                "rng (stream {}, position {}) is not where the run stands (epoch {} done, {} \
                 step(s) into the next: stream {}, position {})",
                rng.stream,
                rng.position,
                t.epochs_completed,
                t.steps_into_epoch,
                t.epochs_completed + 1,
                t.steps_into_epoch
            ));
        }
        Ok(())
    }

    /// [`CheckpointState::check`]'s counterpart with the run's config: the state is of a run of
    /// `seed` with `steps` steps of `batch` images per epoch (`path` names the state in the
    /// error).
    pub fn check_run(
        &self,
        seed: u64,
        steps: usize,
        batch: usize,
        path: &Path,
    ) -> Result<(), FileError> {
        let t = &self.train;
        let fail = |message: String| Err(FileError::corrupt(path, message));
        if self.rng.seed != seed {
            return fail(format!(
                "rng.seed = {} but the run's seed is {seed}",
                self.rng.seed
            ));
        }
        if t.steps_into_epoch > steps {
            return fail(format!(
                "steps_into_epoch = {} but an epoch of this run has {steps} step(s)",
                t.steps_into_epoch
            ));
        }
        if let Some(p) = &t.partial {
            let seen = (p.steps as u64).saturating_mul(batch as u64);
            if p.seen != seen {
                return fail(format!(
                    "partial.seen = {} but {} step(s) of {batch} image(s) see {seen}",
                    p.seen, p.steps
                ));
            }
        }
        Ok(())
    }
}

/// 64 lowercase or uppercase hex digits.
fn is_sha256(text: &str) -> bool {
    text.len() == 64 && text.bytes().all(|b| b.is_ascii_hexdigit())
}

impl TrainState {
    /// The position, history, unfinished epoch and diagnostics are consistent (see
    /// [`CheckpointState::check`]).
    pub fn check(&self) -> Result<(), String> {
        // A pack saves every member at the pack's position; a member that stopped early (its
        // patience ran out) trains no further, so its history ends before that position and
        // it has no sums of the epoch under way.
        let stopped_member = !self.packed_with.is_empty()
            && self.history.len() < self.epochs_completed
            && self.partial.is_none();
        if self.history.len() != self.epochs_completed && !stopped_member {
            return Err(format!(
                "epochs_completed = {} but [[history]] has {} epoch(s)",
                self.epochs_completed,
                self.history.len()
            ));
        }
        for (i, record) in self.history.iter().enumerate() {
            if record.epoch != i + 1 {
                return Err(format!(
                    "[[history]] entry {} is epoch {} (expected {})",
                    i + 1,
                    record.epoch,
                    i + 1
                ));
            }
            record
                .check()
                .map_err(|m| format!("[[history]] epoch {}: {m}", record.epoch))?;
        }
        match (&self.partial, self.steps_into_epoch) {
            (None, 0) => {}
            (None, _) if stopped_member => {}
            (Some(_), 0) => {
                return Err("a [partial] section, but steps_into_epoch = 0".into());
            }
            (Some(p), n) if p.steps == n => p.check()?,
            (Some(p), n) => {
                return Err(format!(
                    "partial.steps = {} but steps_into_epoch = {n}",
                    p.steps
                ));
            }
            (None, n) => {
                return Err(format!(
                    "steps_into_epoch = {n} but there is no [partial] section with its sums"
                ));
            }
        }
        for row in &self.diagnostics {
            if row.epoch > self.epochs_completed {
                return Err(format!(
                    "a diagnostics row of epoch {} after {} finished epoch(s)",
                    row.epoch, self.epochs_completed
                ));
            }
            let l = &row.layer;
            let fraction = |v: Option<f64>| v.is_none_or(|v| (0.0..=1.0).contains(&v));
            let fine = (l.grad_norm.is_nan() || l.grad_norm >= 0.0 && l.grad_norm.is_finite())
                && fraction(l.dead_fraction)
                && fraction(l.saturated_fraction)
                && fraction(l.inactive_fraction)
                && l.learned_mean.is_none_or(f64::is_finite);
            if !fine {
                return Err(format!(
                    "diagnostics of epoch {} layer {}: a gradient norm below 0 or infinite, a \
                     fraction outside [0, 1] or a learned mean that is not finite",
                    row.epoch, l.layer
                ));
            }
        }
        if let Some(hash) = &self.best_weights_sha256
            && !is_sha256(hash)
        {
            return Err(format!(
                "best_weights_sha256 = {hash:?} is not a SHA-256 (64 hex digits)"
            ));
        }
        Ok(())
    }
}

impl PartialEpoch {
    /// Sums a run can have: finite, non-negative, no more correct images than seen.
    fn check(&self) -> Result<(), String> {
        if !(self.loss_sum.is_finite() && self.loss_sum >= 0.0) {
            return Err(format!(
                "partial.loss_sum = {} is not a finite sum of losses",
                self.loss_sum
            ));
        }
        if !(self.seconds.is_finite() && self.seconds >= 0.0) {
            return Err(format!(
                "partial.seconds = {} is not a duration",
                self.seconds
            ));
        }
        if self.correct > self.seen {
            return Err(format!(
                "partial.correct = {} is more than partial.seen = {}",
                self.correct, self.seen
            ));
        }
        Ok(())
    }
}

impl EpochRecord {
    /// What a finished epoch holds: finite non-negative losses, rate and durations, accuracies
    /// in [0, 1]. The message names the first value that is not.
    pub fn check(&self) -> Result<(), String> {
        let non_negative = [
            ("train_loss", Some(self.train_loss)),
            ("val_loss", self.val_loss),
            ("lr", Some(self.lr)),
            ("seconds", Some(self.seconds)),
            ("wall_seconds", Some(self.wall_seconds)),
        ];
        for (name, value) in non_negative {
            if let Some(v) = value
                && !(v.is_finite() && v >= 0.0)
            {
                return Err(format!("{name} = {v} is not a finite number ≥ 0"));
            }
        }
        for (name, value) in [
            ("train_acc", Some(self.train_acc)),
            ("val_acc", self.val_acc),
        ] {
            if let Some(v) = value
                && !(0.0..=1.0).contains(&v)
            {
                return Err(format!("{name} = {v} is not an accuracy in [0, 1]"));
            }
        }
        Ok(())
    }
}
