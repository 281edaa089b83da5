//! The ELF loader, after the Linux kernel's `load_elf_binary`: checks the
//! file is an x86-64 executable, maps its PT_LOAD segments (ET_EXEC at
//! their addresses, ET_DYN at a base chosen like the kernel's), zero-fills
//! bss, and for a dynamic program (PT_INTERP) also maps the interpreter,
//! which then starts the program and maps its libraries itself.

use crate::error::LinuxError;
use crate::mm::{host_mmap, GuestMemory};
use crate::sysroot::Sysroot;
use object::elf;
use object::read::elf::{FileHeader, ProgramHeader};
use object::Endianness;
use std::fs::File;
use std::os::unix::fs::FileExt;

/// Page size of the guest (and host).
pub const PAGE: u64 = 4096;

fn page_down(v: u64) -> u64 {
    v & !(PAGE - 1)
}

fn page_up(v: u64) -> u64 {
    (v + PAGE - 1) & !(PAGE - 1)
}

/// Address space kept free after the image so that brk can grow there
/// (like the gap Linux leaves before the next mapping).
pub const BRK_RESERVE: u64 = 1 << 30;

/// Where Linux puts an ET_DYN program that has an interpreter, before
/// randomisation (x86-64 `ELF_ET_DYN_BASE`: two thirds of the user address
/// space, page aligned).
pub const ELF_ET_DYN_BASE: u64 = 0x5555_5555_4000;

/// Longest PT_INTERP accepted (the kernel's PATH_MAX).
const INTERP_MAX: u64 = 4096;

/// Largest program header table read (the kernel refuses more than 64 KiB).
const PHDRS_MAX: u64 = 65536;

/// What the loader placed in memory for one ELF file.
#[derive(Clone, Debug)]
pub struct LoadedImage {
    /// Load bias (0 for ET_EXEC).
    pub base: u64,
    /// Entry point (biased).
    pub entry: u64,
    /// Address of the program headers in guest memory (AT_PHDR).
    pub phdr: u64,
    /// Size of one program header (AT_PHENT).
    pub phent: u64,
    /// Number of program headers (AT_PHNUM).
    pub phnum: u64,
    /// End of the highest segment's memory image (initial brk, page-aligned).
    pub brk: u64,
    /// True when `[brk, brk + BRK_RESERVE)` is already reserved for brk.
    pub brk_reserved: bool,
}

/// A loaded program and, for a dynamic one, its interpreter.
#[derive(Clone, Debug)]
pub struct Loaded {
    /// The program itself (AT_PHDR, AT_ENTRY and brk come from it).
    pub program: LoadedImage,
    /// The interpreter (PT_INTERP), where execution starts; AT_BASE is its base.
    pub interp: Option<LoadedImage>,
    /// The program's PT_GNU_STACK asks for an executable stack.
    pub exec_stack: bool,
}

impl Loaded {
    /// Where the guest starts: the interpreter's entry, else the program's.
    pub fn start(&self) -> u64 {
        self.interp.as_ref().unwrap_or(&self.program).entry
    }
}

fn malformed(path: &str, what: impl Into<String>) -> LinuxError {
    LinuxError::Malformed {
        path: path.to_string(),
        what: what.into(),
    }
}

/// The headers of an ELF file, read from its beginning.
struct ElfFile {
    path: String,
    file: File,
    len: u64,
    /// The file's first bytes: the ELF header and the program headers.
    head: Vec<u8>,
    hdr: elf::FileHeader64<Endianness>,
    endian: Endianness,
}

impl ElfFile {
    fn open(path: &str) -> Result<ElfFile, LinuxError> {
        let open_err = |source| LinuxError::Open {
            path: path.to_string(),
            source,
        };
        let file = File::open(path).map_err(open_err)?;
        let meta = file.metadata().map_err(open_err)?;
        if meta.is_dir() {
            return Err(open_err(std::io::Error::from_raw_os_error(libc::EISDIR)));
        }
        let len = meta.len();
        let mut head = vec![0u8; len.min(64) as usize];
        file.read_exact_at(&mut head, 0).map_err(open_err)?;
        if head.len() < 4 || &head[..4] != b"\x7fELF" {
            return Err(LinuxError::NotElf(path.to_string()));
        }
        if head.len() > 4 && head[4] == elf::ELFCLASS32 {
            return Err(LinuxError::Elf32(path.to_string()));
        }
        let hdr = *elf::FileHeader64::<Endianness>::parse(&*head)
            .map_err(|e| malformed(path, format!("bad ELF header ({e})")))?;
        let endian = hdr
            .endian()
            .map_err(|e| malformed(path, format!("bad ELF data encoding ({e})")))?;
        let phend = hdr
            .e_phoff(endian)
            .checked_add(hdr.e_phnum(endian) as u64 * hdr.e_phentsize(endian) as u64);
        let Some(phend) = phend.filter(|&e| e <= len && e <= 64 + PHDRS_MAX) else {
            return Err(malformed(
                path,
                "bad program headers (beyond the end of the file)",
            ));
        };
        head.resize(phend.max(64) as usize, 0);
        file.read_exact_at(&mut head, 0).map_err(open_err)?;
        Ok(ElfFile {
            path: path.to_string(),
            file,
            len,
            head,
            hdr,
            endian,
        })
    }

    fn phdrs(&self) -> Result<&[elf::ProgramHeader64<Endianness>], LinuxError> {
        self.hdr
            .program_headers(self.endian, &*self.head)
            .map_err(|e| malformed(&self.path, format!("bad program headers ({e})")))
    }

    /// Checks the machine and type; returns the ELF type.
    fn check(&self) -> Result<u16, LinuxError> {
        let machine = self.hdr.e_machine(self.endian);
        if machine != elf::EM_X86_64 {
            return Err(LinuxError::WrongMachine {
                path: self.path.clone(),
                machine,
            });
        }
        let etype = self.hdr.e_type(self.endian);
        if etype != elf::ET_EXEC && etype != elf::ET_DYN {
            return Err(LinuxError::NotExecutable(self.path.clone()));
        }
        if self.phdrs()?.is_empty() {
            return Err(malformed(&self.path, "no program headers"));
        }
        Ok(etype)
    }

    /// The PT_INTERP path, if any.
    fn interp(&self) -> Result<Option<String>, LinuxError> {
        let Some(ph) = self
            .phdrs()?
            .iter()
            .find(|ph| ph.p_type(self.endian) == elf::PT_INTERP)
        else {
            return Ok(None);
        };
        let (off, size) = (ph.p_offset(self.endian), ph.p_filesz(self.endian));
        if !(2..=INTERP_MAX).contains(&size) || off.checked_add(size).is_none_or(|e| e > self.len) {
            return Err(malformed(&self.path, "bad PT_INTERP"));
        }
        let mut b = vec![0u8; size as usize];
        self.file
            .read_exact_at(&mut b, off)
            .map_err(|source| LinuxError::Open {
                path: self.path.clone(),
                source,
            })?;
        if b.pop() != Some(0) || b.contains(&0) {
            return Err(malformed(
                &self.path,
                "PT_INTERP is not a NUL-terminated path",
            ));
        }
        Ok(Some(String::from_utf8_lossy(&b).into_owned()))
    }
}

/// Where an image goes.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Placement {
    /// ET_EXEC: at the addresses in the file.
    Fixed,
    /// ET_DYN: at `hint` if free there, else where the host has room;
    /// `brk` also reserves room for brk after the image.
    Relocatable { hint: u64, brk: bool },
}

/// Loads the program at `path` into guest memory and, when it names one,
/// its interpreter (looked up under `sysroot` first).
pub fn load_program(
    path: &str,
    sysroot: &Sysroot,
    mem: &mut GuestMemory,
) -> Result<Loaded, LinuxError> {
    let exe = ElfFile::open(path)?;
    let etype = exe.check()?;
    let interp_path = exe.interp()?;
    let placement = if etype == elf::ET_EXEC {
        Placement::Fixed
    } else {
        // Like the kernel: a program with an interpreter goes to
        // ELF_ET_DYN_BASE, one without (static-pie, ld.so run directly)
        // where mmap finds room.
        let hint = if interp_path.is_some() {
            ELF_ET_DYN_BASE
        } else {
            0
        };
        Placement::Relocatable { hint, brk: true }
    };
    let program = map_image(&exe, placement, mem)?;
    let interp = match interp_path {
        None => None,
        Some(ip) => {
            let host = sysroot.resolve(&ip);
            let image = load_interp(&host, mem).map_err(|e| LinuxError::Interpreter {
                path: path.to_string(),
                interp: ip.clone(),
                source: Box::new(e),
            })?;
            Some(image)
        }
    };
    let exec_stack = exe.phdrs()?.iter().any(|ph| {
        ph.p_type(exe.endian) == elf::PT_GNU_STACK && ph.p_flags(exe.endian) & elf::PF_X != 0
    });
    Ok(Loaded {
        program,
        interp,
        exec_stack,
    })
}

fn load_interp(path: &str, mem: &mut GuestMemory) -> Result<LoadedImage, LinuxError> {
    let f = ElfFile::open(path)?;
    let etype = f.check()?;
    if f.interp()?.is_some() {
        return Err(malformed(path, "the interpreter has an interpreter itself"));
    }
    let placement = if etype == elf::ET_EXEC {
        Placement::Fixed
    } else {
        Placement::Relocatable {
            hint: 0,
            brk: false,
        }
    };
    map_image(&f, placement, mem)
}

/// Reserves `len` bytes of address space aligned to `align`, at `hint`
/// when that is free; returns the start.
fn reserve(hint: u64, len: u64, align: u64) -> std::io::Result<u64> {
    let flags = libc::MAP_PRIVATE | libc::MAP_ANONYMOUS | libc::MAP_NORESERVE;
    if hint != 0 && hint.is_multiple_of(align) {
        let at = host_mmap(
            hint,
            len,
            libc::PROT_NONE,
            flags | libc::MAP_FIXED_NOREPLACE,
            -1,
            0,
        );
        if let Ok(at) = at {
            return Ok(at);
        }
    }
    let slack = align - PAGE;
    let at = host_mmap(0, len + slack, libc::PROT_NONE, flags, -1, 0)?;
    let start = (at + align - 1) & !(align - 1);
    // SAFETY: both pieces lie in the reservation just made and nothing
    // else uses them.
    unsafe {
        if start > at {
            libc::munmap(at as *mut _, (start - at) as usize);
        }
        if at + slack > start {
            libc::munmap((start + len) as *mut _, (at + slack - start) as usize);
        }
    }
    Ok(start)
}

fn map_image(
    f: &ElfFile,
    placement: Placement,
    mem: &mut GuestMemory,
) -> Result<LoadedImage, LinuxError> {
    let path = f.path.as_str();
    let endian = f.endian;
    let hdr = &f.hdr;
    let phdrs = f.phdrs()?;
    let loads: Vec<_> = phdrs
        .iter()
        .filter(|ph| ph.p_type(endian) == elf::PT_LOAD)
        .collect();
    if loads.is_empty() {
        return Err(malformed(path, "no PT_LOAD segment"));
    }
    let lo = loads
        .iter()
        .map(|p| page_down(p.p_vaddr(endian)))
        .min()
        .unwrap_or(0);
    let hi = loads
        .iter()
        .map(|p| p.p_vaddr(endian).saturating_add(p.p_memsz(endian)))
        .max()
        .unwrap_or(0);
    if hi <= lo || hi - lo > (1 << 40) {
        return Err(malformed(path, "segments span an impossible range"));
    }
    let span = page_up(hi) - lo;
    // ET_DYN: reserve the whole span (plus room for brk after it), then
    // map the segments into it.
    let base = match placement {
        Placement::Fixed => 0,
        Placement::Relocatable { hint, brk } => {
            let align = loads
                .iter()
                .map(|p| p.p_align(endian))
                .filter(|a| a.is_power_of_two())
                .max()
                .unwrap_or(PAGE)
                .clamp(PAGE, 1 << 30);
            let len = span + if brk { BRK_RESERVE } else { 0 };
            let hint = if hint != 0 { hint & !(align - 1) } else { 0 };
            let at = reserve(hint, len, align).map_err(|source| LinuxError::Map {
                path: path.to_string(),
                addr: hint,
                source,
            })?;
            mem.record(at, at + len);
            at - lo
        }
    };
    for ph in &loads {
        map_segment(f, ph, base, placement != Placement::Fixed, mem)?;
    }
    let phoff = hdr.e_phoff(endian);
    let phdr_vaddr = phdrs
        .iter()
        .find(|p| p.p_type(endian) == elf::PT_PHDR)
        .map(|p| p.p_vaddr(endian))
        .or_else(|| {
            loads.iter().find_map(|p| {
                let off = p.p_offset(endian);
                (phoff >= off && phoff < off + p.p_filesz(endian))
                    .then(|| p.p_vaddr(endian) + (phoff - off))
            })
        })
        .unwrap_or(0);
    Ok(LoadedImage {
        base,
        entry: base.wrapping_add(hdr.e_entry(endian)),
        phdr: if phdr_vaddr != 0 {
            base + phdr_vaddr
        } else {
            0
        },
        phent: hdr.e_phentsize(endian) as u64,
        phnum: phdrs.len() as u64,
        brk: page_up(base + hi),
        brk_reserved: matches!(placement, Placement::Relocatable { brk: true, .. }),
    })
}

fn map_segment(
    f: &ElfFile,
    ph: &elf::ProgramHeader64<Endianness>,
    base: u64,
    reserved: bool,
    mem: &mut GuestMemory,
) -> Result<(), LinuxError> {
    use std::os::fd::AsRawFd;
    let (path, endian) = (f.path.as_str(), f.endian);
    let vaddr = base + ph.p_vaddr(endian);
    let filesz = ph.p_filesz(endian);
    let memsz = ph.p_memsz(endian);
    let off = ph.p_offset(endian);
    if filesz > memsz || off.checked_add(filesz).is_none_or(|e| e > f.len) {
        return Err(malformed(path, "segment extends beyond the file"));
    }
    if vaddr % PAGE != off % PAGE {
        return Err(malformed(
            path,
            "segment offset and address are not congruent",
        ));
    }
    let pf = ph.p_flags(endian);
    let prot = (if pf & elf::PF_R != 0 {
        libc::PROT_READ
    } else {
        0
    }) | (if pf & elf::PF_W != 0 {
        libc::PROT_WRITE
    } else {
        0
    }) | (if pf & elf::PF_X != 0 {
        libc::PROT_EXEC
    } else {
        0
    });
    let start = page_down(vaddr);
    let map_err = |source| LinuxError::Map {
        path: path.to_string(),
        addr: start,
        source,
    };
    let fixed = if reserved {
        libc::MAP_FIXED
    } else {
        libc::MAP_FIXED_NOREPLACE
    };
    let file_end = vaddr + filesz;
    let mem_end = vaddr + memsz;
    // File-backed part, mapped writable first so the bss tail can be zeroed.
    if filesz > 0 {
        let len = page_up(file_end) - start;
        host_mmap(
            start,
            len,
            prot | libc::PROT_WRITE,
            libc::MAP_PRIVATE | fixed,
            f.file.as_raw_fd(),
            page_down(off),
        )
        .map_err(map_err)?;
        mem.record(start, start + len);
        if pf & elf::PF_W != 0 && len <= POPULATE_LIMIT {
            populate_private_copy(start, len);
        }
        if memsz > filesz {
            // Like the kernel's padzero: the rest of the last file page is
            // zeroed, also past the end of bss (ld.so's first allocations
            // live there and count on zeroes).
            let zero_to = page_up(file_end);
            // SAFETY: [file_end, zero_to) lies in the writable mapping just made.
            unsafe { std::ptr::write_bytes(file_end as *mut u8, 0, (zero_to - file_end) as usize) };
        }
    }
    // Anonymous zero pages for the rest of bss.
    let anon_start = if filesz > 0 { page_up(file_end) } else { start };
    if page_up(mem_end) > anon_start {
        let len = page_up(mem_end) - anon_start;
        host_mmap(
            anon_start,
            len,
            prot,
            libc::MAP_PRIVATE | libc::MAP_ANONYMOUS | fixed,
            -1,
            0,
        )
        .map_err(map_err)?;
        mem.record(anon_start, anon_start + len);
    }
    mem.loaded.push((start, page_up(mem_end), prot));
    if filesz > 0 && prot & libc::PROT_WRITE == 0 {
        // SAFETY: changes protection of a mapping this loader created.
        unsafe { libc::mprotect(start as *mut _, (page_up(file_end) - start) as usize, prot) };
    }
    Ok(())
}

/// The largest file-backed part of a writable segment whose pages the
/// loader copies at once (python's is 1.2 MB): a larger one may be mostly
/// tables the program never touches.
const POPULATE_LIMIT: u64 = 16 << 20;

/// Gives the pages of a writable segment's file-backed part their private
/// copies at once. A program writes most of its data segment, and often
/// after reading it (static objects' reference counts, in python): each
/// such write replaces a page the read mapped, and the TLB flush that
/// needs interrupts every other CPU running one of ox86's threads (the
/// compile thread), which on a virtual machine costs tens of
/// microseconds; python's start-up made 270 of them. Copying the file's
/// pages now shows nothing new to the guest: the file of a program the
/// kernel runs cannot be written while it runs (ETXTBSY). Best effort
/// (the advice needs Linux 5.14).
fn populate_private_copy(start: u64, len: u64) {
    // SAFETY: advice on a mapping the loader just made; it changes no
    // contents, only when the private copies are made.
    unsafe { libc::madvise(start as *mut _, len as usize, libc::MADV_POPULATE_WRITE) };
}
