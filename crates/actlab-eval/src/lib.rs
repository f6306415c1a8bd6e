//! actlab's read side: everything that looks at run directories — eval, predict, plots; compare
//! reports and the claims come with their issues. Architecture invariant: this crate never
//! trains by itself.

pub mod claims;
pub mod diagnose;
mod error;
pub mod eval;
pub mod plot;
pub mod predict;
pub mod report;
pub mod stats;
pub mod sweep;

pub use error::EvalError;
pub use eval::{EvalReport, eval_run, write_report};
pub use plot::{Curve, PlotError, activation_curve, plot_activations, plotted_activations};
pub use predict::{ClassProbability, Prediction, Predictor, load_image};
