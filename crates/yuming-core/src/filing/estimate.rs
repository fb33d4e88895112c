//! Approval-date estimates from the platform's own history: how long orders of the same
//! operation type in the same province took from submission to approval.

use std::collections::BTreeMap;

use crate::clock::Timestamp;

/// One approved order of the past.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PastApproval {
    /// Operation key, e.g. `FIRST`.
    pub operation: String,
    /// Province code.
    pub province: u8,
    /// Seconds from submission to approval.
    pub duration_secs: i64,
}

/// The median of `values` (the lower of the two middle ones for an even count), or `None`.
pub fn median(values: &mut [i64]) -> Option<i64> {
    if values.is_empty() {
        return None;
    }
    values.sort_unstable();
    Some(values[(values.len() - 1) / 2])
}

/// Median durations by (operation, province) and by operation alone.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Estimator {
    by_province: BTreeMap<(String, u8), i64>,
    by_operation: BTreeMap<String, i64>,
}

impl Estimator {
    /// Builds the medians from the history.
    pub fn from_history(history: &[PastApproval]) -> Estimator {
        let mut by_province: BTreeMap<(String, u8), Vec<i64>> = BTreeMap::new();
        let mut by_operation: BTreeMap<String, Vec<i64>> = BTreeMap::new();
        for past in history.iter().filter(|p| p.duration_secs >= 0) {
            by_province
                .entry((past.operation.clone(), past.province))
                .or_default()
                .push(past.duration_secs);
            by_operation
                .entry(past.operation.clone())
                .or_default()
                .push(past.duration_secs);
        }
        Estimator {
            by_province: by_province
                .into_iter()
                .filter_map(|(k, mut v)| median(&mut v).map(|m| (k, m)))
                .collect(),
            by_operation: by_operation
                .into_iter()
                .filter_map(|(k, mut v)| median(&mut v).map(|m| (k, m)))
                .collect(),
        }
    }

    /// The median duration for this operation in this province, else across provinces.
    pub fn median_secs(&self, operation: &str, province: u8) -> Option<i64> {
        self.by_province
            .get(&(operation.to_owned(), province))
            .or_else(|| self.by_operation.get(operation))
            .copied()
    }

    /// When an order submitted at `submitted_at` is expected to be approved.
    pub fn estimate(
        &self,
        operation: &str,
        province: u8,
        submitted_at: Timestamp,
    ) -> Option<Timestamp> {
        self.median_secs(operation, province)
            .map(|secs| Timestamp(submitted_at.0 + secs))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn past(operation: &str, province: u8, days: i64) -> PastApproval {
        PastApproval {
            operation: operation.into(),
            province,
            duration_secs: days * 86_400,
        }
    }

    #[test]
    fn medians_by_province_then_operation() {
        assert_eq!(median(&mut []), None);
        assert_eq!(median(&mut [5, 1, 3]), Some(3));
        assert_eq!(median(&mut [4, 1, 3, 2]), Some(2));
        let e = Estimator::from_history(&[
            past("FIRST", 11, 10),
            past("FIRST", 11, 20),
            past("FIRST", 11, 12),
            past("FIRST", 44, 5),
            past("ADD_SITE", 44, 3),
        ]);
        assert_eq!(e.median_secs("FIRST", 11), Some(12 * 86_400));
        assert_eq!(e.median_secs("FIRST", 44), Some(5 * 86_400));
        // No history in the province: the operation's median everywhere.
        assert_eq!(e.median_secs("FIRST", 51), Some(10 * 86_400));
        assert_eq!(e.median_secs("CANCEL_SITE", 11), None);
        assert_eq!(
            e.estimate("ADD_SITE", 44, Timestamp(1_000)),
            Some(Timestamp(1_000 + 3 * 86_400))
        );
    }
}
