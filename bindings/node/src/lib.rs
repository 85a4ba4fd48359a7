//! sandgate-node: placeholder until its issue lands.
