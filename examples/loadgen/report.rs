//! The one table the benchmark prints: each figure beside its reference,
//! the ratio of the two, the goal and whether it is met.

use std::time::Duration;

/// One line of the table.
pub(crate) struct Row {
    /// What is measured, and under which load.
    pub(crate) measure: String,
    /// The figure for databricks-grpc.
    pub(crate) ours: String,
    /// The reference measured in the same run.
    pub(crate) reference: String,
    /// ours / reference, when both are numbers.
    pub(crate) ratio: Option<f64>,
    /// The goal, as text.
    pub(crate) goal: String,
    /// Whether the goal is met; `None` when the row only reports.
    pub(crate) met: Option<bool>,
}

/// Prints `rows` as one Markdown table.
pub(crate) fn print(rows: &[Row]) {
    println!("| measure | databricks-grpc | reference | ratio | goal | met |");
    println!("|---|---|---|---|---|---|");
    for row in rows {
        let ratio = row
            .ratio
            .map_or_else(|| "—".to_owned(), |ratio| format!("{ratio:.2}×"));
        let met = match row.met {
            Some(true) => "yes",
            Some(false) => "**no**",
            None => "—",
        };
        println!(
            "| {} | {} | {} | {ratio} | {} | {met} |",
            row.measure, row.ours, row.reference, row.goal
        );
    }
}

/// The median of `values` (the upper one of an even count); 0 when empty.
pub(crate) fn median(values: &[f64]) -> f64 {
    let mut sorted = values.to_vec();
    sorted.sort_by(f64::total_cmp);
    sorted.get(sorted.len() / 2).copied().unwrap_or_default()
}

/// The `quantile` (0–1) of `samples`, nearest rank; zero when empty.
pub(crate) fn percentile(samples: &mut [Duration], quantile: f64) -> Duration {
    samples.sort_unstable();
    let Some(last) = samples.len().checked_sub(1) else {
        return Duration::ZERO;
    };
    #[allow(clippy::cast_possible_truncation, clippy::cast_sign_loss)] // 0 ≤ rank ≤ last
    #[allow(clippy::cast_precision_loss)] // sample counts are far below 2^52
    let rank = ((last as f64) * quantile).round() as usize;
    samples[rank.min(last)]
}

/// `duration` in milliseconds.
pub(crate) fn ms(duration: Duration) -> f64 {
    duration.as_secs_f64() * 1000.0
}

/// `ours / reference`, or `None` when the reference is zero.
pub(crate) fn ratio(ours: f64, reference: f64) -> Option<f64> {
    (reference > 0.0).then(|| ours / reference)
}

/// `20000` as `20,000`.
pub(crate) fn thousands(n: usize) -> String {
    let digits = n.to_string();
    let mut out = String::new();
    for (i, digit) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i) % 3 == 0 {
            out.push(',');
        }
        out.push(digit);
    }
    out
}
