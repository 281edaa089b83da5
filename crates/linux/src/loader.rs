//! The ELF loader: checks the file is a static x86-64 executable (ET_EXEC
//! or static-PIE ET_DYN), maps its PT_LOAD segments at their addresses
//! (static-PIE at a base the host picks), zero-fills bss, and reports
//! what the stack builder and the brk emulation need.

use crate::error::LinuxError;
use crate::mm::{host_mmap, GuestMemory};
use object::elf;
use object::read::elf::{FileHeader, ProgramHeader};
use object::Endianness;

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

/// What the loader placed in memory.
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

fn malformed(path: &str, what: impl Into<String>) -> LinuxError {
    LinuxError::Malformed {
        path: path.to_string(),
        what: what.into(),
    }
}

/// Loads the program at `path` into guest memory.
pub fn load_elf(path: &str, mem: &mut GuestMemory) -> Result<LoadedImage, LinuxError> {
    let data = std::fs::read(path).map_err(|source| LinuxError::Open {
        path: path.to_string(),
        source,
    })?;
    if data.len() < 4 || &data[..4] != b"\x7fELF" {
        return Err(LinuxError::NotElf(path.to_string()));
    }
    if data.len() > 4 && data[4] == elf::ELFCLASS32 {
        return Err(LinuxError::Elf32(path.to_string()));
    }
    let hdr = elf::FileHeader64::<Endianness>::parse(&*data)
        .map_err(|e| malformed(path, format!("bad ELF header ({e})")))?;
    let endian = hdr
        .endian()
        .map_err(|e| malformed(path, format!("bad ELF data encoding ({e})")))?;
    let machine = hdr.e_machine(endian);
    if machine != elf::EM_X86_64 {
        return Err(LinuxError::WrongMachine {
            path: path.to_string(),
            machine,
        });
    }
    let etype = hdr.e_type(endian);
    if etype != elf::ET_EXEC && etype != elf::ET_DYN {
        return Err(LinuxError::NotExecutable(path.to_string()));
    }
    let phdrs = hdr
        .program_headers(endian, &*data)
        .map_err(|e| malformed(path, format!("bad program headers ({e})")))?;
    if phdrs.is_empty() {
        return Err(malformed(path, "no program headers"));
    }
    for ph in phdrs {
        if ph.p_type(endian) == elf::PT_INTERP {
            let interp = ph
                .data(endian, &*data)
                .ok()
                .map(|b| {
                    String::from_utf8_lossy(b)
                        .trim_end_matches('\0')
                        .to_string()
                })
                .unwrap_or_else(|| "?".into());
            return Err(LinuxError::Dynamic {
                path: path.to_string(),
                interp,
            });
        }
    }
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
    // ET_DYN: reserve the whole span, plus room for brk after it, where
    // the host likes, then map into it.
    let base = if etype == elf::ET_DYN {
        let at = host_mmap(
            0,
            span + BRK_RESERVE,
            libc::PROT_NONE,
            libc::MAP_PRIVATE | libc::MAP_ANONYMOUS | libc::MAP_NORESERVE,
            -1,
            0,
        )
        .map_err(|source| LinuxError::Map {
            path: path.to_string(),
            addr: 0,
            source,
        })?;
        mem.record(at, at + span + BRK_RESERVE);
        at - lo
    } else {
        0
    };
    let file = std::fs::File::open(path).map_err(|source| LinuxError::Open {
        path: path.to_string(),
        source,
    })?;
    for ph in &loads {
        map_segment(
            path,
            &file,
            &data,
            endian,
            ph,
            base,
            etype == elf::ET_DYN,
            mem,
        )?;
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
        entry: base + hdr.e_entry(endian),
        phdr: if phdr_vaddr != 0 {
            base + phdr_vaddr
        } else {
            0
        },
        phent: hdr.e_phentsize(endian) as u64,
        phnum: phdrs.len() as u64,
        brk: page_up(base + hi),
        brk_reserved: etype == elf::ET_DYN,
    })
}

#[allow(clippy::too_many_arguments)]
fn map_segment(
    path: &str,
    file: &std::fs::File,
    data: &[u8],
    endian: Endianness,
    ph: &elf::ProgramHeader64<Endianness>,
    base: u64,
    reserved: bool,
    mem: &mut GuestMemory,
) -> Result<(), LinuxError> {
    use std::os::fd::AsRawFd;
    let vaddr = base + ph.p_vaddr(endian);
    let filesz = ph.p_filesz(endian);
    let memsz = ph.p_memsz(endian);
    let off = ph.p_offset(endian);
    if filesz > memsz
        || off
            .checked_add(filesz)
            .is_none_or(|e| e > data.len() as u64)
    {
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
            file.as_raw_fd(),
            page_down(off),
        )
        .map_err(map_err)?;
        mem.record(start, start + len);
        if memsz > filesz {
            let zero_to = page_up(file_end).min(mem_end);
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
    if filesz > 0 && prot & libc::PROT_WRITE == 0 {
        // SAFETY: changes protection of a mapping this loader created.
        unsafe { libc::mprotect(start as *mut _, (page_up(file_end) - start) as usize, prot) };
    }
    Ok(())
}
