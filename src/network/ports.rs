//! Sets of TCP ports as sorted, disjoint inclusive ranges: what a first-match ACL allows is computed
//! exactly, not by sampling ports.

use std::fmt;

#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct PortSet(Vec<(u16, u16)>);

impl PortSet {
    pub fn range(from: u16, to: u16) -> Self {
        if from <= to {
            PortSet(vec![(from, to)])
        } else {
            PortSet::default()
        }
    }

    /// Ports of an AWS rule; absent or negative bounds mean every port.
    pub fn of_rule(from: Option<i32>, to: Option<i32>) -> Self {
        match (from, to) {
            (Some(f), Some(t)) if f >= 0 && t >= 0 => {
                PortSet::range(f.min(65535) as u16, t.min(65535) as u16)
            }
            _ => PortSet::range(0, 65535),
        }
    }

    /// The lowest and highest port, when the set holds any.
    pub fn bounds(&self) -> Option<(u16, u16)> {
        Some((self.0.first()?.0, self.0.last()?.1))
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    pub fn contains(&self, port: u16) -> bool {
        self.0.iter().any(|&(a, b)| a <= port && port <= b)
    }

    pub fn intersect(&self, other: &PortSet) -> PortSet {
        let mut out = Vec::new();
        for &(a, b) in &self.0 {
            for &(c, d) in &other.0 {
                let (lo, hi) = (a.max(c), b.min(d));
                if lo <= hi {
                    out.push((lo, hi));
                }
            }
        }
        PortSet(normalise(out))
    }

    pub fn minus(&self, other: &PortSet) -> PortSet {
        let mut out = Vec::new();
        for &(a, b) in &self.0 {
            let mut pieces = vec![(a, b)];
            for &(c, d) in &other.0 {
                pieces = pieces
                    .into_iter()
                    .flat_map(|(x, y)| {
                        let mut keep = Vec::new();
                        if d < x || c > y {
                            keep.push((x, y));
                        } else {
                            if c > x {
                                keep.push((x, c - 1));
                            }
                            if d < y {
                                keep.push((d + 1, y));
                            }
                        }
                        keep
                    })
                    .collect();
            }
            out.extend(pieces);
        }
        PortSet(normalise(out))
    }

    pub fn union(&self, other: &PortSet) -> PortSet {
        PortSet(normalise(self.0.iter().chain(&other.0).copied().collect()))
    }
}

fn normalise(mut v: Vec<(u16, u16)>) -> Vec<(u16, u16)> {
    v.sort_unstable();
    let mut out: Vec<(u16, u16)> = Vec::with_capacity(v.len());
    for (a, b) in v {
        match out.last_mut() {
            Some(last) if u32::from(a) <= u32::from(last.1) + 1 => last.1 = last.1.max(b),
            _ => out.push((a, b)),
        }
    }
    out
}

impl fmt::Display for PortSet {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let parts: Vec<String> = self
            .0
            .iter()
            .map(|&(a, b)| {
                if a == b {
                    a.to_string()
                } else {
                    format!("{a}-{b}")
                }
            })
            .collect();
        write!(f, "{}", parts.join(","))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn set_arithmetic() {
        let eph = PortSet::range(1024, 65535);
        let hole = PortSet::range(32768, 40000);
        let left = eph.minus(&hole);
        assert_eq!(left.to_string(), "1024-32767,40001-65535");
        assert!(!left.contains(33000) && left.contains(1024) && left.contains(65535));
        assert_eq!(left.union(&hole), eph);
        assert_eq!(
            eph.intersect(&PortSet::range(0, 2000)).to_string(),
            "1024-2000"
        );
        assert!(PortSet::range(443, 443)
            .minus(&PortSet::of_rule(None, None))
            .is_empty());
        assert_eq!(
            PortSet::of_rule(Some(-1), Some(-1)),
            PortSet::range(0, 65535)
        );
    }
}
