//! actlab's read side: everything that reads run directories — eval, predict, comparison
//! reports with the article's claims, the deep-network diagnosis — and the files and figures
//! they produce.
//!
//! Computing is apart from drawing: [`eval`], [`report`] (judged by [`verdict`]), [`claims`]
//! and [`diagnose`] return data; [`output`] renders it as Markdown, CSV and JSON and, through
//! [`plot`], as figures.
//! Architecture invariant: the one training step this crate runs (`diagnose`'s K steps) is the
//! trainer's own (`actlab_train::train_steps`); nothing here writes into a run directory but
//! `actlab eval`'s files.

pub mod bootstrap;
pub mod claims;
pub mod diagnose;
mod error;
pub mod eval;
pub mod output;
pub mod plot;
pub mod predict;
pub mod report;
pub mod reproduce;
pub mod search;
pub mod sequential;
pub mod stats;
#[cfg(test)]
mod test_rng;
pub mod verdict;

pub use error::{EvalError, PlotError};
pub use eval::{EvalReport, eval_run};
pub use plot::activations::{
    Curve, activation_curve, plot_activations, plot_these, plotted_activations,
};
pub use predict::{ClassProbability, Prediction, Predictor, load_image};
