//! emulator placeholder
