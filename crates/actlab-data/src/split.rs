//! Deterministic index bookkeeping: the train/validation split and each epoch's shuffle.
//!
//! Both derive from the run's seed through ChaCha8 with a fixed stream per purpose (stream 0
//! for the validation split, stream `1 + epoch` for epoch `epoch`'s order), so an epoch's order
//! depends only on `(seed, epoch)`: a resumed run needs no saved RNG state to shuffle exactly as
//! an uninterrupted one.

use crate::error::DataError;
use chacha20::ChaCha8Rng;
use rand::SeedableRng;
use rand::seq::SliceRandom;

use actlab_format::dataset::Holdout;

/// Training and validation indices into the training split, each sorted ascending.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TrainValidation {
    /// Images to train on.
    pub train: Vec<u32>,
    /// Images held out.
    pub validation: Vec<u32>,
}

fn rng(seed: u64, stream: u64) -> ChaCha8Rng {
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    rng.set_stream(stream);
    rng
}

/// Splits `0..len` into training and validation indices.
pub fn train_validation(
    len: usize,
    validation_size: usize,
    holdout: Holdout,
    seed: u64,
) -> Result<TrainValidation, DataError> {
    if validation_size >= len {
        return Err(DataError::Split(format!(
            "a validation set of {validation_size} leaves nothing to train on in {len} images"
        )));
    }
    let len32 = u32::try_from(len)
        .map_err(|_| DataError::Split(format!("{len} images are more than indices can hold")))?;
    let mut all: Vec<u32> = (0..len32).collect();
    if holdout == Holdout::Random {
        all.shuffle(&mut rng(seed, 0));
    }
    let mut validation = all.split_off(len - validation_size);
    let mut train = all;
    train.sort_unstable();
    validation.sort_unstable();
    Ok(TrainValidation { train, validation })
}

/// `indices` in the order epoch `epoch` (0-based) visits them under `seed`.
pub fn epoch_order(indices: &[u32], seed: u64, epoch: u64) -> Vec<u32> {
    let mut order = indices.to_vec();
    order.shuffle(&mut rng(seed, epoch.wrapping_add(1)));
    order
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn last_holdout_is_the_tail() {
        let split = train_validation(10, 3, Holdout::Last, 1).unwrap();
        assert_eq!(split.train, [0, 1, 2, 3, 4, 5, 6]);
        assert_eq!(split.validation, [7, 8, 9]);
    }

    #[test]
    fn random_holdout_partitions_and_depends_on_the_seed() {
        let a = train_validation(1000, 100, Holdout::Random, 7).unwrap();
        let b = train_validation(1000, 100, Holdout::Random, 7).unwrap();
        let c = train_validation(1000, 100, Holdout::Random, 8).unwrap();
        assert_eq!(a, b);
        assert_ne!(a.validation, c.validation);
        let mut all: Vec<u32> = a.train.iter().chain(&a.validation).copied().collect();
        all.sort_unstable();
        assert_eq!(all, (0..1000).collect::<Vec<u32>>());
        assert_eq!(a.validation.len(), 100);
        // Not the tail: a random draw from 1000 is never exactly the last 100.
        assert_ne!(a.validation, (900..1000).collect::<Vec<u32>>());
    }

    #[test]
    fn an_impossible_split_is_an_error() {
        assert!(train_validation(10, 10, Holdout::Last, 0).is_err());
    }

    #[test]
    fn epochs_shuffle_differently_but_reproducibly() {
        let ix: Vec<u32> = (0..500).collect();
        let e0 = epoch_order(&ix, 42, 0);
        assert_eq!(e0, epoch_order(&ix, 42, 0));
        assert_ne!(e0, epoch_order(&ix, 42, 1));
        assert_ne!(e0, epoch_order(&ix, 43, 0));
        assert_ne!(e0, ix);
        let mut sorted = e0.clone();
        sorted.sort_unstable();
        assert_eq!(sorted, ix);
    }
}
