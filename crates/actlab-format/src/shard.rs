//! `--shard i/N` and `--shard auto`: which deterministic slice of a sweep this process trains.
//! `auto` is the slice a scheduler assigned, computed by [`Shard::from_env`] from variables
//! the caller looks up (the CLI reads its environment): a Slurm job array
//! (`SLURM_ARRAY_TASK_ID` with `SLURM_ARRAY_TASK_COUNT`, or `SLURM_ARRAY_TASK_MIN`/`MAX`) or a
//! Kubernetes Indexed Job (`JOB_COMPLETION_INDEX`, 0-based, with `ACTLAB_SHARDS`, the Job's
//! `completions`).

/// Why `--shard` names no slice.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ShardError {
    /// Not `i/N` with 1 ≤ i ≤ N.
    #[error("--shard {0:?}: expected i/N with 1 ≤ i ≤ N (e.g. 2/8), or auto")]
    Syntax(String),
    /// A scheduler variable that is not a number.
    #[error("--shard auto: {name}={value:?} is not a non-negative integer")]
    NotANumber {
        /// The variable.
        name: String,
        /// Its value.
        value: String,
    },
    /// A Kubernetes Indexed Job without the shard count.
    #[error(
        "--shard auto: JOB_COMPLETION_INDEX is set but ACTLAB_SHARDS is not (set it to the \
         Indexed Job's completions)"
    )]
    NoShardCount,
    /// A Kubernetes pod index past the shard count.
    #[error("--shard auto: JOB_COMPLETION_INDEX={index} is not below ACTLAB_SHARDS={count}")]
    IndexPastCount {
        /// `JOB_COMPLETION_INDEX`.
        index: usize,
        /// `ACTLAB_SHARDS`.
        count: usize,
    },
    /// Neither scheduler's variables are set.
    #[error(
        "--shard auto: neither SLURM_ARRAY_TASK_ID (a Slurm job array) nor \
         JOB_COMPLETION_INDEX (a Kubernetes Indexed Job) is set; give --shard i/N instead"
    )]
    NoScheduler,
    /// A Slurm array whose variables do not describe the task's place in it.
    #[error(
        "--shard auto: SLURM_ARRAY_TASK_ID={id}, SLURM_ARRAY_TASK_COUNT={}, \
         SLURM_ARRAY_TASK_MIN={}, SLURM_ARRAY_TASK_MAX={}: {why}",
        show(.count), show(.min), show(.max)
    )]
    Slurm {
        /// `SLURM_ARRAY_TASK_ID`.
        id: usize,
        /// `SLURM_ARRAY_TASK_COUNT`.
        count: Option<usize>,
        /// `SLURM_ARRAY_TASK_MIN`.
        min: Option<usize>,
        /// `SLURM_ARRAY_TASK_MAX`.
        max: Option<usize>,
        /// What does not fit.
        why: &'static str,
    },
}

fn show(v: &Option<usize>) -> String {
    v.map_or("unset".to_string(), |v| v.to_string())
}

/// `i/N`: the i-th of N slices (1-based).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Shard {
    /// 1-based index.
    pub index: usize,
    /// Number of slices.
    pub count: usize,
}

impl std::str::FromStr for Shard {
    type Err = ShardError;

    /// `i/N` (`auto` is the caller's: [`Shard::from_env`]).
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let bad = || ShardError::Syntax(s.to_string());
        let (i, n) = s.split_once('/').ok_or_else(bad)?;
        let index: usize = i.trim().parse().map_err(|_| bad())?;
        let count: usize = n.trim().parse().map_err(|_| bad())?;
        if count == 0 || index == 0 || index > count {
            return Err(bad());
        }
        Ok(Shard { index, count })
    }
}

impl Shard {
    /// The points of this slice: every N-th point of the fixed order, starting at i − 1 (so
    /// every slice gets a mix of activations and their cost evens out).
    pub fn select<T: Clone>(&self, points: &[T]) -> Vec<T> {
        points
            .iter()
            .enumerate()
            .filter(|(k, _)| k % self.count == self.index - 1)
            .map(|(_, p)| p.clone())
            .collect()
    }

    /// The slice a scheduler assigned, from the variables `var` looks up: a Slurm array task
    /// (its position in the array, so `--array=0-7`, `1-8` and `1-15:2` all give 8 slices) or a
    /// Kubernetes Indexed Job's pod. Missing or inconsistent variables are an error that names
    /// them.
    pub fn from_env(var: impl Fn(&str) -> Option<String>) -> Result<Shard, ShardError> {
        let number = |name: &str| -> Result<Option<usize>, ShardError> {
            match var(name) {
                None => Ok(None),
                Some(v) => v
                    .trim()
                    .parse()
                    .map(Some)
                    .map_err(|_| ShardError::NotANumber {
                        name: name.to_string(),
                        value: v,
                    }),
            }
        };
        if let Some(id) = number("SLURM_ARRAY_TASK_ID")? {
            return slurm(
                id,
                number("SLURM_ARRAY_TASK_COUNT")?,
                number("SLURM_ARRAY_TASK_MIN")?,
                number("SLURM_ARRAY_TASK_MAX")?,
            );
        }
        if let Some(index) = number("JOB_COMPLETION_INDEX")? {
            let Some(count) = number("ACTLAB_SHARDS")? else {
                return Err(ShardError::NoShardCount);
            };
            if index >= count {
                return Err(ShardError::IndexPastCount { index, count });
            }
            return Ok(Shard {
                index: index + 1,
                count,
            });
        }
        Err(ShardError::NoScheduler)
    }
}

/// A Slurm array task's slice: its position among the array's task ids.
fn slurm(
    id: usize,
    count: Option<usize>,
    min: Option<usize>,
    max: Option<usize>,
) -> Result<Shard, ShardError> {
    let inconsistent = |why: &'static str| ShardError::Slurm {
        id,
        count,
        min,
        max,
        why,
    };
    let (min, count, step) = match (count, min, max) {
        (None, None, _) | (None, _, None) => {
            return Err(inconsistent(
                "SLURM_ARRAY_TASK_COUNT, or SLURM_ARRAY_TASK_MIN and MAX, must be set",
            ));
        }
        // Without MIN (not what Slurm does, but what a hand-made environment may): ids 1..=N.
        (Some(count), None, _) => (1, count, 1),
        (count, Some(min), Some(max)) => {
            if max < min {
                return Err(inconsistent("MAX is below MIN"));
            }
            let span = max - min;
            let count = count.unwrap_or(span + 1);
            if count == 0 {
                return Err(inconsistent("an empty array"));
            }
            // `--array=1-15:2`: 8 tasks, ids 1, 3, …, 15.
            let step = if count == 1 { 1 } else { span / (count - 1) };
            if count > 1 && (step == 0 || step * (count - 1) != span) {
                return Err(inconsistent(
                    "COUNT tasks do not fit evenly between MIN and MAX",
                ));
            }
            (min, count, step)
        }
        (Some(count), Some(min), None) => (min, count, 1),
    };
    if count == 0 {
        return Err(inconsistent("an empty array"));
    }
    let offset = id
        .checked_sub(min)
        .filter(|off| off % step == 0 && off / step < count)
        .ok_or_else(|| inconsistent("the task id is not one of the array's"))?;
    Ok(Shard {
        index: offset / step + 1,
        count,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashMap;

    fn env(pairs: &[(&str, &str)]) -> Result<Shard, ShardError> {
        let map: HashMap<String, String> = pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        Shard::from_env(|name| map.get(name).cloned())
    }

    fn shard(index: usize, count: usize) -> Result<Shard, ShardError> {
        Ok(Shard { index, count })
    }

    #[test]
    fn shards_partition_the_grid_exactly() {
        let points: Vec<usize> = (0..65).collect();
        for n in 1..=9 {
            let mut all: Vec<usize> = (1..=n)
                .flat_map(|i| Shard { index: i, count: n }.select(&points))
                .collect();
            let sizes: Vec<usize> = (1..=n)
                .map(|i| Shard { index: i, count: n }.select(&points).len())
                .collect();
            assert!(sizes.iter().max().unwrap() - sizes.iter().min().unwrap() <= 1);
            all.sort_unstable();
            assert_eq!(all, points, "{n} shards");
        }
        assert_eq!("2/8".parse::<Shard>(), shard(2, 8));
        for bad in ["0/3", "4/3", "1/0", "x", "1-3", "automatic"] {
            assert!(bad.parse::<Shard>().is_err(), "{bad}");
        }
    }

    #[test]
    fn slurm_arrays_give_the_task_its_position() {
        // What Slurm sets for --array=1-8 (sweep-slurm.sh), task 3.
        let full = [
            ("SLURM_ARRAY_TASK_ID", "3"),
            ("SLURM_ARRAY_TASK_COUNT", "8"),
            ("SLURM_ARRAY_TASK_MIN", "1"),
            ("SLURM_ARRAY_TASK_MAX", "8"),
        ];
        assert_eq!(env(&full), shard(3, 8));
        // --array=0-7: task 0 is the first slice, 7 the last.
        let zero = |id: &'static str| {
            env(&[
                ("SLURM_ARRAY_TASK_ID", id),
                ("SLURM_ARRAY_TASK_MIN", "0"),
                ("SLURM_ARRAY_TASK_MAX", "7"),
            ])
        };
        assert_eq!(zero("0"), shard(1, 8));
        assert_eq!(zero("7"), shard(8, 8));
        // --array=1-15:2: 8 tasks 1, 3, …, 15.
        let stepped = |id: &'static str| {
            env(&[
                ("SLURM_ARRAY_TASK_ID", id),
                ("SLURM_ARRAY_TASK_COUNT", "8"),
                ("SLURM_ARRAY_TASK_MIN", "1"),
                ("SLURM_ARRAY_TASK_MAX", "15"),
            ])
        };
        assert_eq!(stepped("15"), shard(8, 8));
        assert_eq!(stepped("5"), shard(3, 8));
        assert!(
            stepped("4")
                .unwrap_err()
                .to_string()
                .contains("not one of the array's")
        );
        // COUNT alone: ids 1..=COUNT.
        assert_eq!(
            env(&[
                ("SLURM_ARRAY_TASK_ID", "2"),
                ("SLURM_ARRAY_TASK_COUNT", "4")
            ]),
            shard(2, 4)
        );
        // Missing or inconsistent: one line naming the variables.
        for (pairs, says) in [
            (&[("SLURM_ARRAY_TASK_ID", "2")][..], "must be set"),
            (
                &[
                    ("SLURM_ARRAY_TASK_ID", "9"),
                    ("SLURM_ARRAY_TASK_COUNT", "8"),
                ][..],
                "not one of the array's",
            ),
            (
                &[
                    ("SLURM_ARRAY_TASK_ID", "2"),
                    ("SLURM_ARRAY_TASK_COUNT", "3"),
                    ("SLURM_ARRAY_TASK_MIN", "1"),
                    ("SLURM_ARRAY_TASK_MAX", "8"),
                ][..],
                "do not fit evenly",
            ),
            (
                &[
                    ("SLURM_ARRAY_TASK_ID", "x"),
                    ("SLURM_ARRAY_TASK_COUNT", "3"),
                ][..],
                "SLURM_ARRAY_TASK_ID=\"x\" is not a non-negative integer",
            ),
        ] {
            let error = env(pairs).unwrap_err().to_string();
            assert!(error.contains(says) && !error.contains('\n'), "{error}");
        }
    }

    #[test]
    fn kubernetes_indexed_jobs_need_the_shard_count() {
        let job =
            |index: &'static str| env(&[("JOB_COMPLETION_INDEX", index), ("ACTLAB_SHARDS", "4")]);
        assert_eq!(job("0"), shard(1, 4));
        assert_eq!(job("3"), shard(4, 4));
        assert!(
            job("4")
                .unwrap_err()
                .to_string()
                .contains("not below ACTLAB_SHARDS=4")
        );
        let error = env(&[("JOB_COMPLETION_INDEX", "1")])
            .unwrap_err()
            .to_string();
        assert!(error.contains("ACTLAB_SHARDS is not"), "{error}");
        let error = env(&[]).unwrap_err().to_string();
        assert!(error.contains("give --shard i/N"), "{error}");
    }
}
