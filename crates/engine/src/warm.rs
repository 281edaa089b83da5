//! The instruction decoder builds its tables on its first use: about
//! 0.2 ms on this host, a twentieth of a static hello world's run under
//! ox86, spent before the guest's first instruction can be translated.
//! `start` has a thread of its own build them while ox86 parses its
//! arguments and loads the guest; `finish` waits for that thread (a fork
//! must not copy tables half built, their lock held by a thread the child
//! does not have).

use crate::quiet_thread::QuietThread;
use std::sync::Mutex;

static THREAD: Mutex<Option<QuietThread>> = Mutex::new(None);

/// Starts building the decoder's tables on another thread (if one can be
/// started: else the first decode builds them).
pub fn start() {
    let build = || {
        // Any instruction: the first decode builds every table.
        let mut d = iced_x86::Decoder::new(64, &[0x90], iced_x86::DecoderOptions::NONE);
        let _ = d.decode();
    };
    if let Ok(t) = crate::quiet_thread::spawn_quiet("ox86-warm", build) {
        *THREAD.lock().unwrap_or_else(|e| e.into_inner()) = Some(t);
    }
}

/// Waits until the tables `start` builds are built.
pub fn finish() {
    let t = THREAD.lock().unwrap_or_else(|e| e.into_inner()).take();
    if let Some(t) = t {
        t.join();
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn the_tables_are_built_once_finished() {
        super::start();
        super::finish();
        assert!(super::THREAD.lock().unwrap().is_none(), "joined");
        super::finish();
        let mut d = iced_x86::Decoder::new(64, &[0x48, 0x01, 0xd8], iced_x86::DecoderOptions::NONE);
        assert_eq!(d.decode().mnemonic(), iced_x86::Mnemonic::Add);
    }
}
