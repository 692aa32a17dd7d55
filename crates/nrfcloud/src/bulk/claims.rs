//! Claiming devices from a CSV: the plain claim CSV (`token[,"tag1,tag2"]`) or nrfcloud-utils'
//! `attestation_tokens.csv`. Claims are the one kind answered synchronously
//! (`{claimedIds, failed}`), which names devices, not rows: matching that answer to the rows,
//! through the device id each token carries, lives here.

use std::collections::HashSet;

use nrfcloud_api::ops;

use super::{
    csv::{ClaimReader, ClaimRecord, ClaimWriter, WriteError, redacted},
    kind::{Answer, Chunk, Input, Kind},
    report::{Operation, RowOutcome},
    summary::parse_entry,
    token,
    validate::check_claim_tag,
};
use crate::{Client, Result, error::Error, provisioning::CsvClaimOutcome};

/// Bulk claiming (`client.provisioning().bulk_claim(…)`), with the tags added to every row.
#[derive(Clone, Debug, Default)]
pub struct Claims {
    pub(crate) extra_tags: Vec<String>,
}

impl Kind for Claims {
    type Record = ClaimRecord;
    type Reader = ClaimReader<Input>;
    type Writer = ClaimWriter<Vec<u8>>;

    fn operation(&self) -> Operation {
        Operation::Claim
    }

    fn check(&self) -> Result<()> {
        match self
            .extra_tags
            .iter()
            .find_map(|t| check_claim_tag(t).err())
        {
            Some(reason) => {
                let op = ops::provisioning::CLAIM_DEVICE_OWNERSHIP.operation();
                Err(Error::invalid_request(op.operation_id, reason))
            }
            None => Ok(()),
        }
    }

    fn reader(&self, input: Input) -> Self::Reader {
        ClaimReader::new(input)
    }

    fn key(record: &ClaimRecord) -> &str {
        &record.token
    }

    fn device_id(record: &ClaimRecord) -> Option<&str> {
        record.device_id.as_deref()
    }

    fn size(record: &ClaimRecord) -> usize {
        record.token.len() + record.tags.iter().map(|t| t.len() + 3).sum::<usize>() + 4
    }

    fn writer(&self) -> Self::Writer {
        ClaimWriter::new(Vec::with_capacity(64 * 1024))
    }

    fn write(&self, writer: &mut Self::Writer, record: &ClaimRecord) -> Result<(), WriteError> {
        let mut tags: Vec<&str> = record.tags.iter().map(String::as_str).collect();
        for extra in &self.extra_tags {
            if !tags.contains(&extra.as_str()) {
                tags.push(extra);
            }
        }
        writer.write_parts(&record.token, tags.into_iter())
    }

    fn body(writer: Self::Writer) -> Result<Vec<u8>, WriteError> {
        writer.into_inner()
    }

    async fn upload(&self, client: &Client, chunk: &Chunk) -> Result<Answer> {
        let sent = client.provisioning().claim_csv(chunk.body.clone()).send();
        Ok(match sent.await? {
            CsvClaimOutcome::Claimed {
                claimed_ids,
                failed,
            } => {
                let (outcomes, device_ids) = attribute(chunk, &claimed_ids, &failed);
                Answer::Rows {
                    outcomes,
                    device_ids,
                }
            }
            CsvClaimOutcome::Accepted {
                bulk_ops_request_id,
            } => Answer::Accepted(bulk_ops_request_id),
        })
    }

    fn revealed_ids(&self, chunk: &Chunk) -> Vec<Option<String>> {
        device_ids(chunk, &body_tokens(&chunk.body))
    }
}

/// `text` with every occurrence of `token` shortened to its redacted form.
fn scrub(text: &str, token: &str) -> String {
    if token.is_empty() {
        text.to_owned()
    } else {
        text.replace(token, &redacted(token))
    }
}

/// The tokens of a claim chunk, in row order, read back from its body.
fn body_tokens(body: &[u8]) -> Vec<String> {
    let mut reader = csv::ReaderBuilder::new()
        .has_headers(false)
        .flexible(true)
        .from_reader(body);
    reader
        .records()
        .map(|r| {
            r.ok()
                .and_then(|r| r.get(0).map(str::to_owned))
                .unwrap_or_default()
        })
        .collect()
}

/// Each row's device id: from the file, or read from its token.
fn device_ids(chunk: &Chunk, tokens: &[String]) -> Vec<Option<String>> {
    let tokens = tokens
        .iter()
        .map(String::as_str)
        .chain(std::iter::repeat(""));
    chunk
        .rows
        .iter()
        .zip(tokens)
        .map(|(row, token)| match &row.device_id {
            Some(id) => Some(id.to_string()),
            None => token::device_id(token),
        })
        .collect()
}

/// The rows that `failed` entries name (`"[i]: reason"`, 0-based, or an entry quoting the
/// row's token), by row of the chunk whose tokens are `tokens`; and how many entries name no
/// row.
fn failed_rows(failed: &[String], tokens: &[String], n: usize) -> (Vec<Option<RowOutcome>>, usize) {
    let mut outcomes: Vec<Option<RowOutcome>> = vec![None; n];
    let mut unattributed = 0;
    for entry in failed {
        if let Some((i, message)) = parse_entry(entry)
            && i < n
        {
            // The service may quote the row's token in its reason: never keep it verbatim.
            let reason = scrub(message, tokens.get(i).map_or("", String::as_str));
            outcomes[i] = Some(RowOutcome::Failed {
                reason: reason.into(),
            });
            continue;
        }
        match tokens
            .iter()
            .position(|t| !t.is_empty() && entry.contains(t.as_str()))
        {
            Some(i) => {
                let reason = scrub(entry, &tokens[i]);
                outcomes[i] = Some(RowOutcome::Failed {
                    reason: format!("refused by the service: {reason}").into(),
                });
            }
            None => unattributed += 1,
        }
    }
    (outcomes, unattributed)
}

/// Row outcomes from a synchronous claim answer, with each row's device id when known. A row
/// is claimed only when the answer says so: its device id (from the file or its token) is among
/// `claimedIds`, or — for a token whose id cannot be read — every `failed` entry names its row
/// and the claimed ids are exactly as many as the rows left. Rows named by a `failed` entry
/// (`"[i]: reason"`, 0-based, or an entry quoting the token) failed. Everything else is
/// unconfirmed.
fn attribute(
    chunk: &Chunk,
    claimed_ids: &[String],
    failed: &[String],
) -> (Vec<RowOutcome>, Vec<Option<String>>) {
    let n = chunk.rows.len();
    let tokens = body_tokens(&chunk.body);
    let ids = device_ids(chunk, &tokens);
    let (outcomes, unattributed) = failed_rows(failed, &tokens, n);
    let claimed: HashSet<String> = claimed_ids.iter().map(|id| token::normalized(id)).collect();
    // Rows whose device id is unknown (opaque tokens) are claimed by count alone, so the count
    // must be exact: no duplicate ids, and only the claimed ids that name none of this chunk's
    // known devices stand for them.
    let known: HashSet<String> = ids
        .iter()
        .flatten()
        .map(|id| token::normalized(id))
        .collect();
    let unnamed = claimed.iter().filter(|id| !known.contains(*id)).count();
    let opaque_left = outcomes
        .iter()
        .zip(&ids)
        .filter(|(o, id)| o.is_none() && id.is_none())
        .count();
    let counts_match =
        unattributed == 0 && claimed.len() == claimed_ids.len() && unnamed == opaque_left;
    let unconfirmed = RowOutcome::Unconfirmed {
        reason: format!(
            "the service's answer does not say what became of this row ({} claimed ids and {} failed entries for {n} rows)",
            claimed_ids.len(),
            failed.len()
        )
        .into(),
    };
    let outcomes = outcomes
        .into_iter()
        .zip(&ids)
        .map(|(outcome, id)| {
            outcome.unwrap_or_else(|| match id {
                Some(id) if claimed.contains(&token::normalized(id)) => RowOutcome::Succeeded,
                None if counts_match => RowOutcome::Succeeded,
                _ => unconfirmed.clone(),
            })
        })
        .collect();
    (outcomes, ids)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::bulk::kind::ChunkRow;
    use bytes::Bytes;

    fn chunk(tokens: &[String], ids: &[Option<&str>]) -> Chunk {
        let body: String = tokens.iter().map(|t| format!("\"{t}\"\n")).collect();
        Chunk {
            body: Bytes::from(body),
            rows: ids
                .iter()
                .enumerate()
                .map(|(i, id)| ChunkRow {
                    line: i as u64 + 10,
                    key: i as u128,
                    device_id: id.map(Into::into),
                })
                .collect(),
        }
    }

    fn opaque(i: usize) -> String {
        format!("b3BhcXVl{i:04}.c2ln")
    }

    #[test]
    fn rows_are_claimed_by_device_id_from_the_file_or_the_token() {
        let minter = nrfcloud_sim::tokens::Minter::new(1);
        let tokens = vec![minter.token(0), minter.token(1), minter.token(2)];
        let c = chunk(
            &tokens,
            &[None, Some("AAAAAAAA-0000-4000-8000-000000000001"), None],
        );
        let claimed = vec![
            minter.facts(0).id.to_uppercase().replace('-', ""),
            "aaaaaaaa-0000-4000-8000-000000000001".into(),
        ];
        let (out, ids) = attribute(
            &c,
            &claimed,
            &["[2]: device is owned by another account".into()],
        );
        assert_eq!(ids[0], Some(minter.facts(0).id));
        assert_eq!(
            ids[1].as_deref(),
            Some("AAAAAAAA-0000-4000-8000-000000000001")
        );
        assert_eq!(out[0], RowOutcome::Succeeded);
        assert_eq!(out[1], RowOutcome::Succeeded);
        assert_eq!(
            out[2],
            RowOutcome::Failed {
                reason: "device is owned by another account".into()
            }
        );
        // Token 1's id is not listed: not claimed, even though two ids came back.
        let (out, _) = attribute(&c, &[minter.facts(0).id, "someone-else".into()], &[]);
        assert_eq!(out[0], RowOutcome::Succeeded);
        assert!(matches!(out[1], RowOutcome::Unconfirmed { .. }), "{out:?}");
        assert!(matches!(out[2], RowOutcome::Unconfirmed { .. }), "{out:?}");
    }

    #[test]
    fn claimed_ids_of_known_rows_do_not_count_for_opaque_ones() {
        let minter = nrfcloud_sim::tokens::Minter::new(1);
        let known = minter.token(0);
        let tokens = vec![known.clone(), opaque(1)];
        let c = chunk(&tokens, &[None, None]);
        let known_id = minter.facts(0).id;
        // Two ids: the known row's, and a stray repeat of it in another case; the opaque row
        // is not proven claimed by it.
        let (out, _) = attribute(&c, &[known_id.clone(), known_id.to_uppercase()], &[]);
        assert_eq!(out[0], RowOutcome::Succeeded);
        assert!(matches!(out[1], RowOutcome::Unconfirmed { .. }), "{out:?}");
        let (out, _) = attribute(&c, &[known_id, "other".into()], &[]);
        assert_eq!(out, [RowOutcome::Succeeded, RowOutcome::Succeeded]);
    }

    #[test]
    fn opaque_tokens_are_claimed_only_when_the_counts_leave_no_doubt() {
        let tokens: Vec<String> = (0..3).map(opaque).collect();
        let c = chunk(&tokens, &[None, None, None]);
        let (out, _) = attribute(&c, &["x".into(), "y".into()], &["[1]: expired".into()]);
        assert_eq!(out[0], RowOutcome::Succeeded);
        assert!(matches!(&out[1], RowOutcome::Failed { reason } if &**reason == "expired"));
        assert_eq!(out[2], RowOutcome::Succeeded);
        // One claimed id for two rows left: nobody can tell which.
        let (out, _) = attribute(&c, &["x".into()], &["[1]: expired".into()]);
        assert!(matches!(out[0], RowOutcome::Unconfirmed { .. }));
        assert!(matches!(out[2], RowOutcome::Unconfirmed { .. }));
        // The same id twice is one device, not two: the count proves nothing.
        let (out, _) = attribute(&c, &["x".into(), "x".into()], &["[1]: expired".into()]);
        assert!(matches!(out[0], RowOutcome::Unconfirmed { .. }), "{out:?}");
        assert!(matches!(out[2], RowOutcome::Unconfirmed { .. }), "{out:?}");
        // An indexed entry quoting the token keeps the reason, not the token.
        let (out, _) = attribute(
            &c,
            &["x".into(), "y".into()],
            &[format!("[1]: token {} expired", tokens[1])],
        );
        match &out[1] {
            RowOutcome::Failed { reason } => {
                assert!(!reason.contains(&tokens[1]), "{reason}");
                assert!(
                    reason.starts_with("token ") && reason.ends_with(" expired"),
                    "{reason}"
                );
            }
            other => panic!("{other:?}"),
        }
        // A failed entry quoting the row's token, which the reason does not repeat.
        let (out, _) = attribute(
            &c,
            &["x".into(), "y".into()],
            &[format!("{}: bad signature", tokens[2])],
        );
        match &out[2] {
            RowOutcome::Failed { reason } => {
                assert!(!reason.contains(&tokens[2]), "{reason}");
                assert!(reason.contains("bad signature"), "{reason}");
            }
            other => panic!("{other:?}"),
        }
        // An entry naming nothing: no row can be claimed by counting.
        let (out, _) = attribute(
            &c,
            &["x".into(), "y".into()],
            &["something went wrong".into()],
        );
        assert!(
            out.iter()
                .all(|o| matches!(o, RowOutcome::Unconfirmed { .. })),
            "{out:?}"
        );
    }
}
