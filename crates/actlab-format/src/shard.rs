//! `--shard i/N` and `--shard auto`: which deterministic slice of a sweep this process trains.
//! `auto` reads the slice from the scheduler's environment: a Slurm job array
//! (`SLURM_ARRAY_TASK_ID` with `SLURM_ARRAY_TASK_COUNT`, or `SLURM_ARRAY_TASK_MIN`/`MAX`) or a
//! Kubernetes Indexed Job (`JOB_COMPLETION_INDEX`, 0-based, with `ACTLAB_SHARDS`, the Job's
//! `completions`).

/// `i/N`: the i-th of N slices (1-based).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Shard {
    /// 1-based index.
    pub index: usize,
    /// Number of slices.
    pub count: usize,
}

impl std::str::FromStr for Shard {
    type Err = String;

    /// `i/N`, or `auto` (the environment of this process, see [`Shard::from_env`]).
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        if s.trim() == "auto" {
            return Shard::from_env(|name| std::env::var(name).ok());
        }
        let bad = || format!("--shard {s:?}: expected i/N with 1 ≤ i ≤ N (e.g. 2/8), or auto");
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
    pub fn from_env(var: impl Fn(&str) -> Option<String>) -> Result<Shard, String> {
        let number = |name: &str| -> Result<Option<usize>, String> {
            match var(name) {
                None => Ok(None),
                Some(v) => v.trim().parse().map(Some).map_err(|_| {
                    format!("--shard auto: {name}={v:?} is not a non-negative integer")
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
                return Err(
                    "--shard auto: JOB_COMPLETION_INDEX is set but ACTLAB_SHARDS is not \
                            (set it to the Indexed Job's completions)"
                        .into(),
                );
            };
            if index >= count {
                return Err(format!(
                    "--shard auto: JOB_COMPLETION_INDEX={index} is not below ACTLAB_SHARDS={count}"
                ));
            }
            return Ok(Shard {
                index: index + 1,
                count,
            });
        }
        Err(
            "--shard auto: neither SLURM_ARRAY_TASK_ID (a Slurm job array) nor \
             JOB_COMPLETION_INDEX (a Kubernetes Indexed Job) is set; give --shard i/N instead"
                .into(),
        )
    }
}

/// A Slurm array task's slice: its position among the array's task ids.
fn slurm(
    id: usize,
    count: Option<usize>,
    min: Option<usize>,
    max: Option<usize>,
) -> Result<Shard, String> {
    let inconsistent = |why: String| -> String {
        let show = |v: Option<usize>| v.map_or("unset".to_string(), |v| v.to_string());
        format!(
            "--shard auto: SLURM_ARRAY_TASK_ID={id}, SLURM_ARRAY_TASK_COUNT={}, \
             SLURM_ARRAY_TASK_MIN={}, SLURM_ARRAY_TASK_MAX={}: {why}",
            show(count),
            show(min),
            show(max)
        )
    };
    let (min, count, step) = match (count, min, max) {
        (None, None, _) | (None, _, None) => {
            return Err(inconsistent(
                "SLURM_ARRAY_TASK_COUNT, or SLURM_ARRAY_TASK_MIN and MAX, must be set".into(),
            ));
        }
        // Without MIN (not what Slurm does, but what a hand-made environment may): ids 1..=N.
        (Some(count), None, _) => (1, count, 1),
        (count, Some(min), Some(max)) => {
            if max < min {
                return Err(inconsistent("MAX is below MIN".into()));
            }
            let span = max - min;
            let count = count.unwrap_or(span + 1);
            if count == 0 {
                return Err(inconsistent("an empty array".into()));
            }
            // `--array=1-15:2`: 8 tasks, ids 1, 3, …, 15.
            let step = if count == 1 { 1 } else { span / (count - 1) };
            if count > 1 && (step == 0 || step * (count - 1) != span) {
                return Err(inconsistent(
                    "COUNT tasks do not fit evenly between MIN and MAX".into(),
                ));
            }
            (min, count, step)
        }
        (Some(count), Some(min), None) => (min, count, 1),
    };
    if count == 0 {
        return Err(inconsistent("an empty array".into()));
    }
    let offset = id
        .checked_sub(min)
        .filter(|off| off % step == 0 && off / step < count)
        .ok_or_else(|| inconsistent("the task id is not one of the array's".into()))?;
    Ok(Shard {
        index: offset / step + 1,
        count,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashMap;

    fn env(pairs: &[(&str, &str)]) -> Result<Shard, String> {
        let map: HashMap<String, String> = pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        Shard::from_env(|name| map.get(name).cloned())
    }

    fn shard(index: usize, count: usize) -> Result<Shard, String> {
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
        assert!(stepped("4").unwrap_err().contains("not one of the array's"));
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
            let error = env(pairs).unwrap_err();
            assert!(error.contains(says) && !error.contains('\n'), "{error}");
        }
    }

    #[test]
    fn kubernetes_indexed_jobs_need_the_shard_count() {
        let job =
            |index: &'static str| env(&[("JOB_COMPLETION_INDEX", index), ("ACTLAB_SHARDS", "4")]);
        assert_eq!(job("0"), shard(1, 4));
        assert_eq!(job("3"), shard(4, 4));
        assert!(job("4").unwrap_err().contains("not below ACTLAB_SHARDS=4"));
        let error = env(&[("JOB_COMPLETION_INDEX", "1")]).unwrap_err();
        assert!(error.contains("ACTLAB_SHARDS is not"), "{error}");
        let error = env(&[]).unwrap_err();
        assert!(error.contains("give --shard i/N"), "{error}");
    }
}
