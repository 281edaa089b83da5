//! Booting a kernel without firmware: a Multiboot (v1) kernel, ELF or
//! with the a.out kludge, is entered in 32-bit protected mode with the
//! Multiboot information (memory map, command line) at EBX; a plain x86-64
//! ELF is entered in 64-bit mode with the first 4 GiB identity-mapped.

use crate::error::PcError;
use object::elf;
use object::read::elf::{FileHeader, ProgramHeader};
use object::Endianness;
use ox86_x86::cpu::{eflags, reg, CpuState};
use ox86_x86::system::regs::{cr0, cr4, efer, sreg, SysRegs};
use ox86_x86::system::segment::{decode, set_segment};

/// The magic at the start of a Multiboot header.
pub const MULTIBOOT_HEADER_MAGIC: u32 = 0x1bad_b002;
/// The magic a Multiboot loader leaves in EAX.
pub const MULTIBOOT_BOOTLOADER_MAGIC: u32 = 0x2bad_b002;
/// Header flag: the load addresses are in the header (a.out kludge).
pub const MULTIBOOT_AOUT_KLUDGE: u32 = 1 << 16;
/// Information flag: mem_lower and mem_upper are valid.
pub const MULTIBOOT_INFO_MEMORY: u32 = 1 << 0;
/// Information flag: cmdline is valid.
pub const MULTIBOOT_INFO_CMDLINE: u32 = 1 << 2;
/// Information flag: mmap_length and mmap_addr are valid.
pub const MULTIBOOT_INFO_MEM_MAP: u32 = 1 << 6;
/// Information flag: boot_loader_name is valid.
pub const MULTIBOOT_INFO_BOOT_LOADER_NAME: u32 = 1 << 9;
/// Memory map type: usable RAM.
pub const MULTIBOOT_MEMORY_AVAILABLE: u32 = 1;
/// Memory map type: reserved.
pub const MULTIBOOT_MEMORY_RESERVED: u32 = 2;

/// Where the loader puts its own data in guest RAM (below 0x9000; a
/// kernel must not load there).
mod layout {
    /// Long mode: PML4, PDPT and four page directories (4 GiB of 2 MiB pages).
    pub const PML4: u64 = 0x1000;
    pub const PDPT: u64 = 0x2000;
    pub const PD: u64 = 0x3000;
    /// The boot GDT.
    pub const GDT: u64 = 0x7000;
    /// The Multiboot information structure.
    pub const MBI: u64 = 0x8000;
    /// The boot loader's name.
    pub const LOADER_NAME: u64 = 0x8080;
    /// The memory map.
    pub const MMAP: u64 = 0x8100;
    /// The command line (up to the end of the area).
    pub const CMDLINE: u64 = 0x8200;
    /// End of the loader's area.
    pub const END: u64 = 0x9000;
    /// The initial stack pointer of a 64-bit kernel.
    pub const STACK_TOP: u64 = 0x8_0000;
}

/// Boot GDT selectors.
pub mod selector {
    /// Flat 32-bit code.
    pub const CODE32: u16 = 0x08;
    /// Flat data.
    pub const DATA: u16 = 0x10;
    /// 64-bit code.
    pub const CODE64: u16 = 0x18;
}

const GDT: [u64; 4] = [
    0,
    0x00cf_9a00_0000_ffff,
    0x00cf_9200_0000_ffff,
    0x0020_9a00_0000_0000,
];

/// How the kernel is entered.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Entry {
    /// Multiboot: 32-bit protected mode, paging off.
    Multiboot(u64),
    /// 64-bit mode with identity paging.
    Long(u64),
}

fn malformed(path: &str, what: impl Into<String>) -> PcError {
    PcError::Malformed {
        path: path.to_string(),
        what: what.into(),
    }
}

/// Copies `bytes` to guest physical `addr`, then zeroes up to `mem_size`.
fn place(
    ram: &mut [u8],
    path: &str,
    addr: u64,
    bytes: &[u8],
    mem_size: u64,
) -> Result<(), PcError> {
    let end = addr.checked_add(mem_size.max(bytes.len() as u64));
    let too_big = || PcError::TooBig {
        path: path.to_string(),
        what: format!("segment at {addr:#x}"),
        ram_mib: ram.len() as u64 >> 20,
    };
    let end = end.filter(|&e| e <= ram.len() as u64).ok_or_else(too_big)?;
    if addr < layout::END && end > layout::PML4 {
        return Err(PcError::Overlaps {
            path: path.to_string(),
            addr,
        });
    }
    let a = addr as usize;
    ram[a..a + bytes.len()].copy_from_slice(bytes);
    ram[a + bytes.len()..end as usize].fill(0);
    Ok(())
}

/// The Multiboot header in the first 8 KiB: (offset, flags).
fn multiboot_header(data: &[u8]) -> Option<(usize, u32)> {
    let word = |o: usize| u32::from_le_bytes(data[o..o + 4].try_into().expect("4 bytes"));
    (0..data.len().min(8192).saturating_sub(11))
        .step_by(4)
        .find(|&o| {
            word(o) == MULTIBOOT_HEADER_MAGIC
                && word(o).wrapping_add(word(o + 4)).wrapping_add(word(o + 8)) == 0
        })
        .map(|o| (o, word(o + 4)))
}

/// Loads the kernel in `data` into `ram` and writes the boot data; returns
/// how to enter it.
pub fn load(path: &str, data: &[u8], ram: &mut [u8], cmdline: &str) -> Result<Entry, PcError> {
    let entry = match multiboot_header(data) {
        Some((off, flags)) if flags & MULTIBOOT_AOUT_KLUDGE != 0 => {
            Entry::Multiboot(load_aout_kludge(path, data, ram, off)?)
        }
        Some(_) if data.get(4) == Some(&elf::ELFCLASS32) => {
            Entry::Multiboot(load_elf32(path, data, ram)?)
        }
        _ if data.len() > 4 && &data[..4] == b"\x7fELF" && data[4] == elf::ELFCLASS64 => {
            Entry::Long(load_elf64(path, data, ram)?)
        }
        _ => return Err(PcError::UnknownFormat(path.to_string())),
    };
    write_boot_data(ram, cmdline);
    Ok(entry)
}

fn load_aout_kludge(path: &str, data: &[u8], ram: &mut [u8], off: usize) -> Result<u64, PcError> {
    let word = |k: usize| {
        data.get(off + 4 * k..off + 4 * k + 4)
            .map(|b| u32::from_le_bytes(b.try_into().expect("4 bytes")) as u64)
            .ok_or_else(|| malformed(path, "truncated Multiboot header"))
    };
    let (header_addr, load_addr, load_end, bss_end, entry) =
        (word(3)?, word(4)?, word(5)?, word(6)?, word(7)?);
    let file_off = (off as u64)
        .checked_sub(header_addr.wrapping_sub(load_addr))
        .ok_or_else(|| malformed(path, "Multiboot load address after the header"))?;
    let file_end = if load_end == 0 {
        data.len() as u64
    } else {
        file_off + (load_end - load_addr)
    };
    let bytes = data
        .get(file_off as usize..file_end as usize)
        .ok_or_else(|| malformed(path, "Multiboot load range beyond the file"))?;
    let mem = if bss_end == 0 {
        bytes.len() as u64
    } else {
        bss_end - load_addr
    };
    place(ram, path, load_addr, bytes, mem)?;
    Ok(entry)
}

fn load_elf32(path: &str, data: &[u8], ram: &mut [u8]) -> Result<u64, PcError> {
    let hdr = elf::FileHeader32::<Endianness>::parse(data)
        .map_err(|e| malformed(path, format!("bad ELF header ({e})")))?;
    let endian = hdr.endian().map_err(|e| malformed(path, e.to_string()))?;
    let phdrs = hdr
        .program_headers(endian, data)
        .map_err(|e| malformed(path, format!("bad program headers ({e})")))?;
    for ph in phdrs.iter().filter(|p| p.p_type(endian) == elf::PT_LOAD) {
        let bytes = ph
            .data(endian, data)
            .map_err(|_| malformed(path, "segment beyond the file"))?;
        place(
            ram,
            path,
            ph.p_paddr(endian) as u64,
            bytes,
            ph.p_memsz(endian) as u64,
        )?;
    }
    Ok(hdr.e_entry(endian) as u64)
}

fn load_elf64(path: &str, data: &[u8], ram: &mut [u8]) -> Result<u64, PcError> {
    let hdr = elf::FileHeader64::<Endianness>::parse(data)
        .map_err(|e| malformed(path, format!("bad ELF header ({e})")))?;
    let endian = hdr.endian().map_err(|e| malformed(path, e.to_string()))?;
    if hdr.e_machine(endian) != elf::EM_X86_64 {
        return Err(PcError::UnknownFormat(path.to_string()));
    }
    let phdrs = hdr
        .program_headers(endian, data)
        .map_err(|e| malformed(path, format!("bad program headers ({e})")))?;
    for ph in phdrs.iter().filter(|p| p.p_type(endian) == elf::PT_LOAD) {
        let bytes = ph
            .data(endian, data)
            .map_err(|_| malformed(path, "segment beyond the file"))?;
        place(ram, path, ph.p_paddr(endian), bytes, ph.p_memsz(endian))?;
    }
    Ok(hdr.e_entry(endian))
}

fn put32(ram: &mut [u8], addr: u64, v: u32) {
    ram[addr as usize..addr as usize + 4].copy_from_slice(&v.to_le_bytes());
}

fn put64(ram: &mut [u8], addr: u64, v: u64) {
    ram[addr as usize..addr as usize + 8].copy_from_slice(&v.to_le_bytes());
}

/// GDT, identity page tables and the Multiboot information.
fn write_boot_data(ram: &mut [u8], cmdline: &str) {
    for (i, d) in GDT.iter().enumerate() {
        put64(ram, layout::GDT + 8 * i as u64, *d);
    }
    // P | RW | US, and PS in the page directories.
    const PRESENT_RW_US: u64 = 0x7;
    put64(ram, layout::PML4, layout::PDPT | PRESENT_RW_US);
    for i in 0..4u64 {
        let pd = layout::PD + 0x1000 * i;
        put64(ram, layout::PDPT + 8 * i, pd | PRESENT_RW_US);
        for j in 0..512u64 {
            let frame = ((i * 512 + j) << 21) | PRESENT_RW_US | 0x80;
            put64(ram, pd + 8 * j, frame);
        }
    }
    let ram_size = ram.len() as u64;
    let regions: [(u64, u64, u32); 4] = [
        (0, 0x9_fc00, MULTIBOOT_MEMORY_AVAILABLE),
        (0x9_fc00, 0x400, MULTIBOOT_MEMORY_RESERVED),
        (0xf_0000, 0x1_0000, MULTIBOOT_MEMORY_RESERVED),
        (
            0x10_0000,
            ram_size.saturating_sub(0x10_0000),
            MULTIBOOT_MEMORY_AVAILABLE,
        ),
    ];
    for (k, &(base, len, typ)) in regions.iter().enumerate() {
        let e = layout::MMAP + 24 * k as u64;
        put32(ram, e, 20);
        put64(ram, e + 4, base);
        put64(ram, e + 12, len);
        put32(ram, e + 20, typ);
    }
    let name = b"ox86\0";
    ram[layout::LOADER_NAME as usize..][..name.len()].copy_from_slice(name);
    let max = (layout::END - layout::CMDLINE - 1) as usize;
    let cmd = &cmdline.as_bytes()[..cmdline.len().min(max)];
    ram[layout::CMDLINE as usize..][..cmd.len()].copy_from_slice(cmd);
    ram[layout::CMDLINE as usize + cmd.len()] = 0;
    let mbi = layout::MBI;
    ram[mbi as usize..mbi as usize + 0x58].fill(0);
    put32(
        ram,
        mbi,
        MULTIBOOT_INFO_MEMORY
            | MULTIBOOT_INFO_CMDLINE
            | MULTIBOOT_INFO_MEM_MAP
            | MULTIBOOT_INFO_BOOT_LOADER_NAME,
    );
    put32(ram, mbi + 4, 639);
    put32(
        ram,
        mbi + 8,
        (ram_size.saturating_sub(0x10_0000) >> 10) as u32,
    );
    put32(ram, mbi + 16, layout::CMDLINE as u32);
    put32(ram, mbi + 44, 24 * regions.len() as u32);
    put32(ram, mbi + 48, layout::MMAP as u32);
    put32(ram, mbi + 64, layout::LOADER_NAME as u32);
}

/// Puts the CPU in the state `entry` requires: protected mode with flat
/// segments (Multiboot: EAX magic, EBX information), or also long mode
/// with paging and a stack (64-bit ELF).
pub fn setup_cpu(env: &mut CpuState, entry: Entry) {
    env.sys = SysRegs {
        mmu: env.sys.mmu,
        ..SysRegs::reset()
    };
    env.set_rflags(eflags::FIXED1);
    env.regs = [0; 16];
    env.regs[reg::RAX] = MULTIBOOT_BOOTLOADER_MAGIC as u64;
    env.regs[reg::RBX] = layout::MBI;
    env.sys.gdtr.base = layout::GDT;
    env.sys.gdtr.limit = 8 * GDT.len() as u64 - 1;
    env.sys.cr0 = cr0::PE | cr0::ET;
    let data = decode(selector::DATA, GDT[2]);
    for s in [sreg::ES, sreg::SS, sreg::DS, sreg::FS, sreg::GS] {
        set_segment(env, s, data);
    }
    match entry {
        Entry::Multiboot(pc) => {
            set_segment(env, sreg::CS, decode(selector::CODE32, GDT[1]));
            env.rip = pc;
        }
        Entry::Long(pc) => {
            env.sys.cr3 = layout::PML4;
            env.sys.cr4 = cr4::PAE;
            env.sys.efer = efer::LME | efer::LMA;
            env.sys.cr0 |= cr0::PG;
            set_segment(env, sreg::CS, decode(selector::CODE64, GDT[3]));
            env.regs[reg::RSP] = layout::STACK_TOP;
            env.rip = pc;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn kludge_kernel() -> Vec<u8> {
        // Header at offset 16, loaded at 1 MiB: 32 bytes of code then bss.
        let mut k = vec![0x90u8; 64];
        let words: [u32; 8] = [
            MULTIBOOT_HEADER_MAGIC,
            MULTIBOOT_AOUT_KLUDGE,
            0u32.wrapping_sub(MULTIBOOT_HEADER_MAGIC + MULTIBOOT_AOUT_KLUDGE),
            0x10_0010,
            0x10_0000,
            0x10_0040,
            0x10_1000,
            0x10_0030,
        ];
        for (i, w) in words.iter().enumerate() {
            k[16 + 4 * i..20 + 4 * i].copy_from_slice(&w.to_le_bytes());
        }
        k
    }

    #[test]
    fn loads_a_kludge_kernel_with_info() {
        let mut ram = vec![0xaau8; 4 << 20];
        let e = load("k", &kludge_kernel(), &mut ram, "hello world").unwrap();
        assert_eq!(e, Entry::Multiboot(0x10_0030));
        assert_eq!(
            &ram[0x10_0010..0x10_0014],
            &MULTIBOOT_HEADER_MAGIC.to_le_bytes()
        );
        assert_eq!(ram[0x10_0fff], 0, "bss zeroed");
        assert_eq!(ram[0x10_1000], 0xaa);
        let word = |a: usize| u32::from_le_bytes(ram[a..a + 4].try_into().unwrap());
        let mbi = layout::MBI as usize;
        assert_eq!(word(mbi + 8), 3 << 10, "mem_upper: 3 MiB above 1 MiB");
        let cmd = word(mbi + 16) as usize;
        assert_eq!(&ram[cmd..cmd + 12], b"hello world\0");
        let mmap = word(mbi + 48) as usize;
        assert_eq!(word(mmap + 4 + 24 * 3), 0x10_0000);
    }

    #[test]
    fn rejects_unknown_files() {
        let mut ram = vec![0u8; 1 << 20];
        assert!(matches!(
            load("x", b"not a kernel", &mut ram, ""),
            Err(PcError::UnknownFormat(_))
        ));
    }

    #[test]
    fn long_mode_entry_state() {
        let mut env = CpuState::default();
        setup_cpu(&mut env, Entry::Long(0x20_0000));
        let m = ox86_x86::system::control::tb_mode(&env);
        assert_eq!((m.code_bits, m.cpl, m.cs_base), (64, 0, 0));
        assert_eq!(env.rip, 0x20_0000);
        setup_cpu(&mut env, Entry::Multiboot(0x10_0000));
        let m = ox86_x86::system::control::tb_mode(&env);
        assert_eq!((m.code_bits, m.stack_bits), (32, 32));
        assert_eq!(env.regs[reg::RAX], MULTIBOOT_BOOTLOADER_MAGIC as u64);
    }
}
