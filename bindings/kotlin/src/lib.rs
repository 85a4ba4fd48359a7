//! sandgate-kotlin: placeholder until its issue lands.
