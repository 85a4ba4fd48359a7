//! A small read-only view of a request's headers, so any HTTP library maps to the gateway
//! check cheaply.

/// Read access to a request's headers. Names are given in lowercase ASCII; an
/// implementation compares them ASCII case-insensitively.
pub trait HeaderView {
    /// The first value of header `name`, as raw bytes.
    fn first(&self, name: &str) -> Option<&[u8]>;
    /// How many values header `name` has (each header line counts once).
    fn count(&self, name: &str) -> usize;
}

fn first_of<'s, K: AsRef<str>, V: AsRef<[u8]>>(
    pairs: &'s [(K, V)],
    name: &str,
) -> Option<&'s [u8]> {
    pairs
        .iter()
        .find(|(k, _)| k.as_ref().eq_ignore_ascii_case(name))
        .map(|(_, v)| v.as_ref())
}

fn count_of<K: AsRef<str>, V: AsRef<[u8]>>(pairs: &[(K, V)], name: &str) -> usize {
    pairs
        .iter()
        .filter(|(k, _)| k.as_ref().eq_ignore_ascii_case(name))
        .count()
}

/// `(name, value)` pairs: `&[("Host", "x")][..]`.
impl<K: AsRef<str>, V: AsRef<[u8]>> HeaderView for &[(K, V)] {
    fn first(&self, name: &str) -> Option<&[u8]> {
        first_of(self, name)
    }

    fn count(&self, name: &str) -> usize {
        count_of(self, name)
    }
}

/// An array of `(name, value)` pairs: `[("Host", "x")]`.
impl<K: AsRef<str>, V: AsRef<[u8]>, const N: usize> HeaderView for [(K, V); N] {
    fn first(&self, name: &str) -> Option<&[u8]> {
        first_of(self, name)
    }

    fn count(&self, name: &str) -> usize {
        count_of(self, name)
    }
}

/// A `Vec` of `(name, value)` pairs, such as `(String, String)`.
impl<K: AsRef<str>, V: AsRef<[u8]>> HeaderView for Vec<(K, V)> {
    fn first(&self, name: &str) -> Option<&[u8]> {
        first_of(self, name)
    }

    fn count(&self, name: &str) -> usize {
        count_of(self, name)
    }
}

#[cfg(feature = "tower")]
impl HeaderView for http::HeaderMap {
    fn first(&self, name: &str) -> Option<&[u8]> {
        self.get(name).map(http::HeaderValue::as_bytes)
    }

    fn count(&self, name: &str) -> usize {
        self.get_all(name).iter().count()
    }
}
