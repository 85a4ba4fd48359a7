//! sandgate-ffi: placeholder until its issue lands.
