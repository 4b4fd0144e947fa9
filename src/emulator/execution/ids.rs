//! Identifiers shaped like Databricks': numeric context ids and UUID
//! command ids; and the address a request names a context by (a command
//! is its context's address plus its id).

/// Where a context is: the cluster and the context id a request names.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct ContextAddress {
    pub(super) cluster_id: String,
    pub(super) context_id: String,
}

/// A 19-digit context id that fits an `i64`, like `3845165776084034518`.
pub(super) fn context_id() -> String {
    rand::random_range(1_000_000_000_000_000_000..=i64::MAX.unsigned_abs()).to_string()
}

/// A UUID-like (version 4) command id.
pub(super) fn command_id() -> String {
    let bits: u128 = rand::random();
    let hex = format!(
        "{:032x}",
        bits & !(0xf << 76) & !(0x3 << 62) | (0x4 << 76) | (0x2 << 62)
    );
    format!(
        "{}-{}-{}-{}-{}",
        &hex[..8],
        &hex[8..12],
        &hex[12..16],
        &hex[16..20],
        &hex[20..]
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_look_like_databricks_ids() {
        for _ in 0..100 {
            let context = context_id();
            assert_eq!(context.len(), 19, "{context}");
            assert!(context.parse::<i64>().is_ok(), "{context}");
            let command = command_id();
            let groups: Vec<_> = command.split('-').map(str::len).collect();
            assert_eq!(groups, [8, 4, 4, 4, 12], "{command}");
            assert_eq!(&command[14..15], "4", "{command}");
            assert!("89ab".contains(&command[19..20]), "{command}");
        }
    }
}
