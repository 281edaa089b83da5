//! The machine: CPU, softmmu over guest RAM, board, and the system-mode
//! main loop. Between runs of translated code it brings the devices up to
//! date, hands typed bytes to the UART, delivers the PIC's interrupt when
//! the CPU accepts one, and sleeps while the CPU halts; it delivers the
//! exceptions translated code raises, and acts on debug exit and reset.

use crate::board::{Board, BoardBus};
use crate::boot::{self, Entry};
use crate::console::{self, Kick, Shared};
use crate::devices::Clock;
use crate::error::PcError;
use ox86_engine::{disassemble_system, Engine, EngineOptions, LogSink, SysExit};
use ox86_x86::cpu::{eflags, excp, reg, CpuState, PendingException};
use ox86_x86::system::interrupt::{self, Event, Kind};
use ox86_x86::system::mmu::Mmu;
use ox86_x86::system::regs::sreg;
use ox86_x86::system::{attach, with_mmu};
use std::cell::RefCell;
use std::io::Write;
use std::rc::Rc;
use std::sync::atomic::Ordering;
use std::sync::Arc;

/// What to build and boot.
pub struct Config {
    /// The kernel file.
    pub kernel: String,
    /// Its command line (`-append`).
    pub append: String,
    /// Guest RAM in bytes.
    pub ram_size: u64,
    /// Exit instead of rebooting on a reset or triple fault.
    pub no_reboot: bool,
    /// Engine settings (backend, `-d` items).
    pub engine: EngineOptions,
    /// The serial console is the terminal: raw mode and Ctrl-A escapes.
    pub stdio_console: bool,
}

/// A PC with a kernel loaded.
pub struct Machine {
    env: Box<CpuState>,
    engine: Engine,
    board: Rc<RefCell<Board>>,
    kernel: Vec<u8>,
    cfg: Config,
    shared: Arc<Shared>,
    halted: bool,
    interrupts: u64,
    /// The deadline last given to the timer thread.
    published: Option<std::time::Instant>,
}

impl Machine {
    /// Builds the machine and loads the kernel; serial output goes to
    /// `serial_out`, `-d` output to `log`.
    pub fn new(cfg: Config, serial_out: Box<dyn Write>, log: LogSink) -> Result<Machine, PcError> {
        let kernel = std::fs::read(&cfg.kernel).map_err(|source| PcError::Open {
            path: cfg.kernel.clone(),
            source,
        })?;
        let engine = Engine::new(cfg.engine, log).map_err(|e| PcError::Jit(e.to_string()))?;
        let board = Rc::new(RefCell::new(Board::new(cfg.ram_size, serial_out)));
        let mut env = Box::<CpuState>::default();
        let mmu = Mmu::new(cfg.ram_size, Box::new(BoardBus(board.clone())));
        attach(&mut env, Box::new(mmu));
        let mut m = Machine {
            env,
            engine,
            board,
            kernel,
            cfg,
            shared: Shared::new(),
            halted: false,
            interrupts: 0,
            published: None,
        };
        m.boot()?;
        Ok(m)
    }

    /// Loads the kernel into RAM and puts the CPU at its entry (RAM is
    /// not cleared on a reboot, as on a PC).
    fn boot(&mut self) -> Result<(), PcError> {
        // As GRUB and QEMU do: the kernel's path, then its arguments.
        let path = self.cfg.kernel.clone();
        let append = format!("{} {}", path, self.cfg.append);
        let kernel = std::mem::take(&mut self.kernel);
        let r = with_mmu(&mut self.env, |_, m| {
            boot::load(&path, &kernel, m.ram_mut(), &append)
        });
        self.kernel = kernel;
        let entry: Entry = r?;
        boot::setup_cpu(&mut self.env, entry);
        self.engine.flush_system(&mut self.env);
        self.halted = false;
        Ok(())
    }

    /// Resets the board and boots the kernel again.
    fn reboot(&mut self) -> Result<(), PcError> {
        self.board.borrow_mut().reset();
        with_mmu(&mut self.env, |_, m| m.sync_a20());
        self.boot()
    }

    /// Runs the machine until the guest exits through the debug-exit
    /// device, the user quits, or (with `no_reboot`) it resets; returns the
    /// process exit status.
    pub fn run(&mut self) -> Result<i32, PcError> {
        if self.cfg.stdio_console {
            console::enter_raw_mode();
        }
        let kick = Kick::new(&self.env);
        self.board.borrow_mut().kick = Some(kick);
        console::spawn_timer(self.shared.clone(), kick);
        console::spawn_input(self.shared.clone(), kick);
        let status = self.main_loop();
        self.board.borrow_mut().flush_serial();
        if self.cfg.stdio_console {
            console::restore_terminal();
        }
        status
    }

    fn main_loop(&mut self) -> Result<i32, PcError> {
        loop {
            if let Some(status) = self.service_devices()? {
                return Ok(status);
            }
            if self.env.eflags & eflags::IF != 0 && self.env.sys.inhibit_irq == 0 {
                let vector = {
                    let mut b = self.board.borrow_mut();
                    b.pic.intr().then(|| b.pic.acknowledge())
                };
                if let Some(v) = vector {
                    self.halted = false;
                    self.deliver(Event {
                        vector: v,
                        kind: Kind::External,
                        error_code: None,
                    })?;
                    continue;
                }
            }
            let (deadline, want_input) = {
                let b = self.board.borrow();
                let t = b.next_event_ns().map(|ns| b.clock.instant_at(ns));
                (t, b.uart.can_receive())
            };
            if self.halted {
                self.shared.wait(deadline, want_input);
                continue;
            }
            if deadline != self.published {
                self.published = deadline;
                self.shared.set_deadline(deadline);
            }
            match self.engine.run_system(&mut self.env) {
                SysExit::Interrupted => {}
                SysExit::Exception(e) => self.exception(e)?,
            }
        }
    }

    /// Device housekeeping between runs; Some(status) when the machine stops.
    fn service_devices(&mut self) -> Result<Option<i32>, PcError> {
        let quit = {
            let mut b = self.board.borrow_mut();
            b.poll();
            let mut quit = false;
            if self.shared.pending.load(Ordering::Acquire) {
                let mut ev = self.shared.events.lock().expect("events lock");
                while let Some(&byte) = ev.input.front() {
                    if !b.serial_input(byte) {
                        break;
                    }
                    ev.input.pop_front();
                }
                quit = ev.quit;
                self.shared
                    .pending
                    .store(!ev.input.is_empty() || quit, Ordering::Release);
            }
            if let Some(status) = b.debug_exit.status {
                return Ok(Some(status));
            }
            quit
        };
        if quit {
            eprint!("\nox86-system: terminated\n");
            return Ok(Some(0));
        }
        if self.board.borrow().reset_pending() {
            if self.cfg.no_reboot {
                return Ok(Some(0));
            }
            self.reboot()?;
        }
        Ok(None)
    }

    /// Acts on an exception or event translated code raised.
    fn exception(&mut self, e: PendingException) -> Result<(), PcError> {
        let v = e.vector as u64;
        match v {
            excp::HLT => self.halted = true,
            excp::NEW_STATE => {}
            _ if (excp::SOFT_INT..excp::SOFT_INT + 256).contains(&v) => self.deliver(Event {
                vector: (v - excp::SOFT_INT) as u8,
                kind: Kind::Software,
                error_code: None,
            })?,
            excp::UNIMPLEMENTED => {
                let rip = self.env.rip;
                let text = disassemble_system(&mut self.env, rip, 1);
                eprintln!("ox86-system: unimplemented instruction, #UD to the guest: {text}");
                self.deliver(Event::exception(excp::UD as u8, 0))?;
            }
            _ if v < 32 => self.deliver(Event::exception(v as u8, e.error_code))?,
            _ => unreachable!("translated code raised unknown event {v:#x}"),
        }
        Ok(())
    }

    /// Delivers an interrupt or exception; a triple fault resets.
    fn deliver(&mut self, ev: Event) -> Result<(), PcError> {
        if self.engine.opts.log.int {
            self.log_event(ev);
        }
        if interrupt::deliver(&mut self.env, ev).is_err() {
            if self.engine.opts.log.int {
                self.engine.log("Triple fault\n");
            }
            if self.cfg.no_reboot {
                self.board.borrow_mut().reset_requested = true;
            } else {
                self.reboot()?;
            }
        }
        Ok(())
    }

    fn log_event(&mut self, ev: Event) {
        let env = &self.env;
        let s = &env.sys;
        let head = match ev.kind {
            Kind::External => format!("Servicing hardware INT=0x{:02x}\n", ev.vector),
            _ => String::new(),
        };
        let text = format!(
            "{head}{:6}: v={:02x} e={:04x} i={} cpl={} IP={:04x}:{:016x} SP={:04x}:{:016x} CR2={:016x} t={}\n",
            self.interrupts,
            ev.vector,
            ev.error_code.unwrap_or(0),
            (ev.kind == Kind::Software) as u8,
            s.cpl,
            s.segs[sreg::CS].selector,
            env.rip,
            s.segs[sreg::SS].selector,
            env.regs[reg::RSP],
            s.cr2,
            self.board.borrow().clock.now_ns(),
        );
        self.interrupts += 1;
        self.engine.log(&text);
    }
}
