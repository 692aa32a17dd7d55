//! Registering devices' public keys (RegisterPublicKeys) or certificates
//! (RegisterCertificates) from a CSV: each request becomes a bulk operation.

use nrfcloud_api::ops;

use super::{
    csv::{KeyKind, KeyReader, KeyRecord, KeyWriter, WriteError},
    kind::{Answer, Chunk, Input, Kind},
    report::Operation,
};
use crate::{Client, Result};

/// Key or certificate registration (`client.onboarding().register_public_keys(…)`,
/// `.register_certificates(…)`): rows of `deviceId,"pem"`.
#[derive(Clone, Copy, Debug)]
pub struct Keys(pub(crate) KeyKind);

impl Kind for Keys {
    type Record = KeyRecord;
    type Reader = KeyReader<Input>;
    type Writer = KeyWriter<Vec<u8>>;

    fn operation(&self) -> Operation {
        match self.0 {
            KeyKind::PublicKey => Operation::RegisterPublicKeys,
            KeyKind::Certificate => Operation::RegisterCertificates,
        }
    }

    fn reader(&self, input: Input) -> Self::Reader {
        KeyReader::new(input, self.0)
    }

    fn key(record: &KeyRecord) -> &str {
        &record.device_id
    }

    fn device_id(record: &KeyRecord) -> Option<&str> {
        Some(&record.device_id)
    }

    fn size(record: &KeyRecord) -> usize {
        record.device_id.len() + record.pem.len() + 4
    }

    fn writer(&self) -> Self::Writer {
        KeyWriter::new(Vec::with_capacity(64 * 1024), self.0)
    }

    fn write(&self, writer: &mut Self::Writer, record: &KeyRecord) -> Result<(), WriteError> {
        writer.write(record)
    }

    fn body(writer: Self::Writer) -> Result<Vec<u8>, WriteError> {
        writer.into_inner()
    }

    async fn upload(&self, client: &Client, chunk: &Chunk) -> Result<Answer> {
        let body = chunk.body.clone();
        let id = match self.0 {
            KeyKind::PublicKey => {
                let call = client.call(ops::rest::REGISTER_PUBLIC_KEYS);
                let accepted = call.run(call.raw.register_public_keys().body(body).send());
                accepted.await?.bulk_ops_request_id.to_string()
            }
            KeyKind::Certificate => {
                let call = client.call(ops::rest::REGISTER_CERTIFICATES);
                let accepted = call.run(call.raw.register_certificates().body(body).send());
                accepted.await?.bulk_ops_request_id.to_string()
            }
        };
        Ok(Answer::Accepted(id))
    }
}
