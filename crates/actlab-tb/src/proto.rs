//! The protobuf messages of TensorBoard's event files that actlab writes, declared with prost's
//! derive: field numbers and types as in TensorBoard's `event.proto`, `summary.proto`,
//! `tensor.proto`, `tensor_shape.proto` and the hparams plugin's `api.proto` and
//! `plugin_data.proto`. Only the fields actlab uses are declared: protobuf readers skip none
//! (absent fields take their defaults) and ignore nothing we write.

use std::collections::BTreeMap;

pub use prost_types::value::Kind as ValueKind;
pub use prost_types::{ListValue, Value};

/// `tensorflow.Event`: one record of an event file.
#[derive(Clone, PartialEq, prost::Message)]
pub struct Event {
    /// Seconds since the Unix epoch.
    #[prost(double, tag = "1")]
    pub wall_time: f64,
    /// The global step (for actlab: the epoch).
    #[prost(int64, tag = "2")]
    pub step: i64,
    /// What the event carries.
    #[prost(oneof = "event::What", tags = "3, 5")]
    pub what: Option<event::What>,
}

/// `Event.what`.
pub mod event {
    /// What an [`super::Event`] carries.
    #[derive(Clone, PartialEq, prost::Oneof)]
    pub enum What {
        /// The first event of a file: `brain.Event:2`.
        #[prost(string, tag = "3")]
        FileVersion(String),
        /// Summary values.
        #[prost(message, tag = "5")]
        Summary(super::Summary),
    }
}

/// `tensorflow.Summary`.
#[derive(Clone, PartialEq, prost::Message)]
pub struct Summary {
    /// The values.
    #[prost(message, repeated, tag = "1")]
    pub value: Vec<SummaryValue>,
}

/// `tensorflow.Summary.Value`.
#[derive(Clone, PartialEq, prost::Message)]
pub struct SummaryValue {
    /// The tag (`train/loss`, `_hparams_/experiment`, …).
    #[prost(string, tag = "1")]
    pub tag: String,
    /// Which plugin the value is for (absent for plain scalars).
    #[prost(message, optional, tag = "9")]
    pub metadata: Option<SummaryMetadata>,
    /// The value.
    #[prost(oneof = "summary_value::Kind", tags = "2, 8")]
    pub value: Option<summary_value::Kind>,
}

/// `Summary.Value.value`.
pub mod summary_value {
    /// A summary value's payload.
    #[derive(Clone, PartialEq, prost::Oneof)]
    pub enum Kind {
        /// A scalar (what TensorBoard's scalar dashboard and `EventAccumulator.Scalars` read).
        #[prost(float, tag = "2")]
        SimpleValue(f32),
        /// A tensor (the hparams plugin's records carry an empty one).
        #[prost(message, tag = "8")]
        Tensor(super::TensorProto),
    }
}

/// `tensorflow.SummaryMetadata`.
#[derive(Clone, PartialEq, prost::Message)]
pub struct SummaryMetadata {
    /// The plugin and its data.
    #[prost(message, optional, tag = "1")]
    pub plugin_data: Option<PluginData>,
}

/// `tensorflow.SummaryMetadata.PluginData`.
#[derive(Clone, PartialEq, prost::Message)]
pub struct PluginData {
    /// `hparams`.
    #[prost(string, tag = "1")]
    pub plugin_name: String,
    /// A serialized [`HParamsPluginData`].
    #[prost(bytes = "vec", tag = "2")]
    pub content: Vec<u8>,
}

/// `tensorflow.TensorProto` (dtype and shape only).
#[derive(Clone, PartialEq, prost::Message)]
pub struct TensorProto {
    /// `tensorflow.DataType` (1 = DT_FLOAT).
    #[prost(int32, tag = "1")]
    pub dtype: i32,
    /// The shape.
    #[prost(message, optional, tag = "2")]
    pub tensor_shape: Option<TensorShapeProto>,
}

/// `tensorflow.TensorShapeProto`.
#[derive(Clone, PartialEq, prost::Message)]
pub struct TensorShapeProto {
    /// The dimensions.
    #[prost(message, repeated, tag = "2")]
    pub dim: Vec<TensorShapeDim>,
}

/// `tensorflow.TensorShapeProto.Dim`.
#[derive(Clone, PartialEq, prost::Message)]
pub struct TensorShapeDim {
    /// The size.
    #[prost(int64, tag = "1")]
    pub size: i64,
}

/// `tensorboard.hparams.HParamsPluginData`.
#[derive(Clone, PartialEq, prost::Message)]
pub struct HParamsPluginData {
    /// 0.
    #[prost(int32, tag = "1")]
    pub version: i32,
    /// The record.
    #[prost(oneof = "hparams_plugin_data::Data", tags = "2, 3, 4")]
    pub data: Option<hparams_plugin_data::Data>,
}

/// `HParamsPluginData.data`.
pub mod hparams_plugin_data {
    /// An hparams record.
    #[derive(Clone, PartialEq, prost::Oneof)]
    pub enum Data {
        /// The experiment: which hyperparameters and metrics to show.
        #[prost(message, tag = "2")]
        Experiment(super::Experiment),
        /// A session (run) starts, with its hyperparameter values.
        #[prost(message, tag = "3")]
        SessionStartInfo(super::SessionStartInfo),
        /// A session ended.
        #[prost(message, tag = "4")]
        SessionEndInfo(super::SessionEndInfo),
    }
}

/// `tensorboard.hparams.Experiment`.
#[derive(Clone, PartialEq, prost::Message)]
pub struct Experiment {
    /// Markdown.
    #[prost(string, tag = "1")]
    pub description: String,
    /// Seconds since the Unix epoch.
    #[prost(double, tag = "3")]
    pub time_created_secs: f64,
    /// The hyperparameters.
    #[prost(message, repeated, tag = "4")]
    pub hparam_infos: Vec<HParamInfo>,
    /// The metrics.
    #[prost(message, repeated, tag = "5")]
    pub metric_infos: Vec<MetricInfo>,
    /// The experiment's name.
    #[prost(string, tag = "6")]
    pub name: String,
}

/// `tensorboard.hparams.DataType`.
pub mod data_type {
    /// DATA_TYPE_STRING.
    pub const STRING: i32 = 1;
    /// DATA_TYPE_FLOAT64.
    pub const FLOAT64: i32 = 3;
}

/// `tensorboard.hparams.HParamInfo`.
#[derive(Clone, PartialEq, prost::Message)]
pub struct HParamInfo {
    /// The name (the key of [`SessionStartInfo::hparams`]).
    #[prost(string, tag = "1")]
    pub name: String,
    /// Shown instead of the name.
    #[prost(string, tag = "2")]
    pub display_name: String,
    /// Shown on hover.
    #[prost(string, tag = "3")]
    pub description: String,
    /// A [`data_type`].
    #[prost(int32, tag = "4")]
    pub r#type: i32,
    /// The values the sweep takes.
    #[prost(message, optional, tag = "5")]
    pub domain_discrete: Option<ListValue>,
}

/// `tensorboard.hparams.MetricName`.
#[derive(Clone, PartialEq, prost::Message)]
pub struct MetricName {
    /// The run, relative to the session's (empty: the session's own run).
    #[prost(string, tag = "1")]
    pub group: String,
    /// The scalar tag.
    #[prost(string, tag = "2")]
    pub tag: String,
}

/// `tensorboard.hparams.MetricInfo`.
#[derive(Clone, PartialEq, prost::Message)]
pub struct MetricInfo {
    /// Which scalar.
    #[prost(message, optional, tag = "1")]
    pub name: Option<MetricName>,
    /// Shown instead of the tag.
    #[prost(string, tag = "3")]
    pub display_name: String,
    /// Shown on hover.
    #[prost(string, tag = "4")]
    pub description: String,
    /// 1 = training, 2 = validation, 0 = unknown (test).
    #[prost(int32, tag = "5")]
    pub dataset_type: i32,
}

/// `tensorboard.hparams.SessionStartInfo`.
#[derive(Clone, PartialEq, prost::Message)]
pub struct SessionStartInfo {
    /// Hyperparameter values by name.
    #[prost(btree_map = "string, message", tag = "1")]
    pub hparams: BTreeMap<String, Value>,
    /// Sessions with the same group name are aggregated (seeds of one configuration).
    #[prost(string, tag = "4")]
    pub group_name: String,
    /// Seconds since the Unix epoch.
    #[prost(double, tag = "5")]
    pub start_time_secs: f64,
}

/// `tensorboard.hparams.Status`: success.
pub const STATUS_SUCCESS: i32 = 1;
/// `tensorboard.hparams.Status`: failure.
pub const STATUS_FAILURE: i32 = 2;

/// `tensorboard.hparams.SessionEndInfo`.
#[derive(Clone, PartialEq, prost::Message)]
pub struct SessionEndInfo {
    /// A `Status`.
    #[prost(int32, tag = "1")]
    pub status: i32,
    /// Seconds since the Unix epoch.
    #[prost(double, tag = "2")]
    pub end_time_secs: f64,
}
