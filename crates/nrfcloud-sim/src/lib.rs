//! A local, stateful nRF Cloud simulator.
