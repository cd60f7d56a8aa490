//! The Sparkplug B payload: the part of Eclipse Tahu's `sparkplug_b.proto` (package
//! `org.eclipse.tahu.protobuf`, proto2) that an edge node publishes and reads, as prost
//! messages with the schema's field numbers. Templates, data sets, property sets and metadata
//! are not sent; in a received command they are skipped as unknown fields.

/// `Payload`: a timestamp, metrics and the sequence number.
#[derive(Clone, PartialEq, prost::Message)]
pub struct Payload {
    /// Milliseconds since the Unix epoch (UTC) when the message was published.
    #[prost(uint64, optional, tag = "1")]
    pub timestamp: Option<u64>,
    /// The metrics.
    #[prost(message, repeated, tag = "2")]
    pub metrics: Vec<Metric>,
    /// 0–255, one more for every message of the edge node after its NBIRTH (none in NDEATH).
    #[prost(uint64, optional, tag = "3")]
    pub seq: Option<u64>,
    /// Payload UUID (unused here).
    #[prost(string, optional, tag = "4")]
    pub uuid: Option<String>,
    /// Opaque body (unused here).
    #[prost(bytes = "vec", optional, tag = "5")]
    pub body: Option<Vec<u8>>,
}

/// `Payload.Metric`.
#[derive(Clone, PartialEq, prost::Message)]
pub struct Metric {
    /// Name, `/` separating folders; births carry it, data messages only the alias.
    #[prost(string, optional, tag = "1")]
    pub name: Option<String>,
    /// Alias, unique across the edge node.
    #[prost(uint64, optional, tag = "2")]
    pub alias: Option<u64>,
    /// Milliseconds since the Unix epoch (UTC).
    #[prost(uint64, optional, tag = "3")]
    pub timestamp: Option<u64>,
    /// A [`DataType`] (births only).
    #[prost(uint32, optional, tag = "4")]
    pub datatype: Option<u32>,
    /// Historical data, not the current value.
    #[prost(bool, optional, tag = "5")]
    pub is_historical: Option<bool>,
    /// Not to be stored as a tag.
    #[prost(bool, optional, tag = "6")]
    pub is_transient: Option<bool>,
    /// The value is null (a blank quantity).
    #[prost(bool, optional, tag = "7")]
    pub is_null: Option<bool>,
    /// The value.
    #[prost(oneof = "Value", tags = "10, 11, 12, 13, 14, 15, 16")]
    pub value: Option<Value>,
}

/// `Metric.value`: which field carries a value depends on the data type.
#[derive(Clone, PartialEq, prost::Oneof)]
pub enum Value {
    /// Int8–Int32 (two's complement) and UInt8–UInt32.
    #[prost(uint32, tag = "10")]
    Int(u32),
    /// Int64, UInt64, DateTime.
    #[prost(uint64, tag = "11")]
    Long(u64),
    /// Float.
    #[prost(float, tag = "12")]
    Float(f32),
    /// Double.
    #[prost(double, tag = "13")]
    Double(f64),
    /// Boolean.
    #[prost(bool, tag = "14")]
    Boolean(bool),
    /// String, Text, UUID.
    #[prost(string, tag = "15")]
    String(String),
    /// Bytes, File.
    #[prost(bytes = "vec", tag = "16")]
    Bytes(Vec<u8>),
}

/// The Sparkplug B data types this edge node uses (the schema's `DataType` numbers).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[repr(u32)]
pub enum DataType {
    /// Signed 64 bits (bdSeq).
    Int64 = 4,
    /// Unsigned 16 bits (quantities).
    UInt16 = 6,
    /// Unsigned 32 bits (counters).
    UInt32 = 7,
    /// Double (rates, latencies).
    Double = 10,
    /// Boolean.
    Boolean = 11,
    /// UTF-8 string.
    String = 12,
}

#[cfg(test)]
mod tests {
    use prost::Message;

    use super::*;

    #[test]
    fn a_metric_encodes_with_the_schema_field_numbers() {
        let p = Payload {
            timestamp: Some(1),
            metrics: vec![Metric { alias: Some(3), value: Some(Value::Int(7)), ..Default::default() }],
            seq: Some(2),
            ..Default::default()
        };
        // timestamp (1, varint) 1; metrics (2, bytes) [alias (2) 3, int_value (10) 7]; seq (3) 2.
        assert_eq!(p.encode_to_vec(), [0x08, 1, 0x12, 4, 0x10, 3, 0x50, 7, 0x18, 2]);
        assert_eq!(Payload::decode(&p.encode_to_vec()[..]).unwrap(), p);
    }
}
