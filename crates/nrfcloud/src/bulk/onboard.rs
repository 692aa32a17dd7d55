//! Onboarding devices from a CSV (OnboardDevices): each request becomes a bulk operation.

use nrfcloud_api::ops;

use super::{
    csv::{OnboardReader, OnboardRecord, OnboardWriter, WriteError},
    kind::{Answer, Chunk, Input, Kind},
    report::Operation,
};
use crate::{Client, Result};

/// Bulk onboarding (`client.onboarding().bulk_csv(…)`): rows of
/// `deviceId,subType,tags|…,fwTypes|…,"certPem"`.
#[derive(Clone, Copy, Debug, Default)]
pub struct Onboard;

impl Kind for Onboard {
    type Record = OnboardRecord;
    type Reader = OnboardReader<Input>;
    type Writer = OnboardWriter<Vec<u8>>;

    fn operation(&self) -> Operation {
        Operation::Onboard
    }

    fn reader(&self, input: Input) -> Self::Reader {
        OnboardReader::new(input)
    }

    fn key(record: &OnboardRecord) -> &str {
        &record.device_id
    }

    fn device_id(record: &OnboardRecord) -> Option<&str> {
        Some(&record.device_id)
    }

    fn size(record: &OnboardRecord) -> usize {
        record.device_id.len()
            + record.sub_type.len()
            + record
                .tags
                .iter()
                .chain(&record.fw_types)
                .map(|t| t.len() + 1)
                .sum::<usize>()
            + record.cert_pem.len()
            + 8
    }

    fn writer(&self) -> Self::Writer {
        OnboardWriter::new(Vec::with_capacity(64 * 1024))
    }

    fn write(&self, writer: &mut Self::Writer, record: &OnboardRecord) -> Result<(), WriteError> {
        writer.write(record)
    }

    fn body(writer: Self::Writer) -> Result<Vec<u8>, WriteError> {
        writer.into_inner()
    }

    async fn upload(&self, client: &Client, chunk: &Chunk) -> Result<Answer> {
        let call = client.call(ops::rest::ONBOARD_DEVICES);
        let body = chunk.body.clone();
        let accepted = call
            .run(call.raw.onboard_devices().body(body).send())
            .await?;
        Ok(Answer::Accepted(accepted.bulk_ops_request_id.to_string()))
    }
}
