//! sandgate-python: placeholder until its issue lands.
