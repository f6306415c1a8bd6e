//! actlab's read side: plots now; eval, predict, compare reports and the claims come with their
//! issues. Architecture invariant: this crate never trains by itself.

pub mod plot;

pub use plot::{Curve, PlotError, activation_curve, plot_activations, plotted_activations};
