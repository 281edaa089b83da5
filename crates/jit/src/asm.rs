//! The assembler the backend emits through: dynasm's label and relocation
//! bookkeeping over one byte buffer that every TB reuses (as TCG reuses
//! its code buffer), re-based at the start of each TB, so that compiling a
//! TB allocates nothing once the buffers have grown.

use dynasmrt::components::{LabelRegistry, PatchLoc, RelocRegistry, StaticLabel};
use dynasmrt::x64::X64Relocation;
use dynasmrt::{
    AssemblyOffset, DynamicLabel, DynasmApi, DynasmError, DynasmLabelApi, LabelKind, TargetKind,
};

/// Assembles x86-64 code for a known host address into a reused buffer.
#[derive(Debug)]
pub(crate) struct Asm {
    ops: Vec<u8>,
    base: usize,
    labels: LabelRegistry,
    relocs: RelocRegistry<X64Relocation>,
    error: Option<DynasmError>,
    /// Labels defined so far (never reset): code may be entered at the
    /// current offset from elsewhere if this changed.
    defined: u64,
    /// The label references `commit` resolved: (offset of the field, its
    /// size in bytes, offset of the target). Every x64 one is relative.
    pub resolved: Vec<(usize, usize, usize)>,
}

impl Asm {
    /// An empty assembler for code placed at host address `base`.
    pub fn new(base: usize) -> Asm {
        Asm {
            ops: Vec::new(),
            base,
            labels: LabelRegistry::new(),
            relocs: RelocRegistry::new(),
            error: None,
            defined: 0,
            resolved: Vec::new(),
        }
    }

    /// How many labels were defined so far (see `emit::ZfOf`).
    pub fn labels_defined(&self) -> u64 {
        self.defined
    }

    /// Empties the assembler (keeping its buffers) for code placed at `base`.
    pub fn reset(&mut self, base: usize) {
        self.ops.clear();
        self.labels.clear();
        self.relocs.take_statics().for_each(drop);
        self.relocs.take_dynamics().for_each(drop);
        self.error = None;
        self.resolved.clear();
        self.base = base;
    }

    /// A new dynamic label.
    pub fn new_dynamic_label(&mut self) -> DynamicLabel {
        self.labels.new_dynamic_label()
    }

    /// The labels defined so far.
    pub fn labels(&self) -> &LabelRegistry {
        &self.labels
    }

    /// Resolves every relocation emitted so far.
    pub fn commit(&mut self) -> Result<(), DynasmError> {
        if let Some(e) = self.error.take() {
            return Err(e);
        }
        for (loc, label) in self.relocs.take_statics() {
            let target = self.labels.resolve_static(&label)?;
            let field = loc.range(0);
            self.resolved.push((field.start, field.len(), target.0));
            if loc
                .patch(&mut self.ops[loc.range(0)], self.base, target.0)
                .is_err()
            {
                let name = label.get_name();
                return Err(DynasmError::ImpossibleRelocation(if label.is_global() {
                    TargetKind::Global(name)
                } else {
                    TargetKind::Local(name)
                }));
            }
        }
        for (loc, id) in self.relocs.take_dynamics() {
            let target = self.labels.resolve_dynamic(id)?;
            let field = loc.range(0);
            self.resolved.push((field.start, field.len(), target.0));
            if loc
                .patch(&mut self.ops[loc.range(0)], self.base, target.0)
                .is_err()
            {
                return Err(DynasmError::ImpossibleRelocation(TargetKind::Dynamic(id)));
            }
        }
        Ok(())
    }

    /// The code assembled so far (final once `commit` succeeded).
    pub fn code(&self) -> &[u8] {
        &self.ops
    }

    /// The code assembled so far, to be moved in part (`split`).
    pub fn code_mut(&mut self) -> &mut [u8] {
        &mut self.ops
    }
}

impl Extend<u8> for Asm {
    fn extend<T: IntoIterator<Item = u8>>(&mut self, iter: T) {
        self.ops.extend(iter)
    }
}

impl<'a> Extend<&'a u8> for Asm {
    fn extend<T: IntoIterator<Item = &'a u8>>(&mut self, iter: T) {
        self.ops.extend(iter)
    }
}

impl DynasmApi for Asm {
    #[inline]
    fn offset(&self) -> AssemblyOffset {
        AssemblyOffset(self.ops.len())
    }

    #[inline]
    fn push(&mut self, byte: u8) {
        self.ops.push(byte);
    }

    fn align(&mut self, alignment: usize, with: u8) {
        let misalign = self.ops.len() % alignment;
        if misalign != 0 {
            self.ops
                .extend(std::iter::repeat_n(with, alignment - misalign));
        }
    }
}

impl DynasmLabelApi for Asm {
    type Relocation = X64Relocation;

    fn local_label(&mut self, name: &'static str) {
        self.defined += 1;
        let offset = self.offset();
        self.labels.define_local(name, offset);
    }

    fn global_label(&mut self, name: &'static str) {
        self.defined += 1;
        let offset = self.offset();
        if let Err(e) = self.labels.define_global(name, offset) {
            self.error = Some(e)
        }
    }

    fn dynamic_label(&mut self, id: DynamicLabel) {
        self.defined += 1;
        let offset = self.offset();
        if let Err(e) = self.labels.define_dynamic(id, offset) {
            self.error = Some(e)
        }
    }

    fn global_relocation(
        &mut self,
        name: &'static str,
        target_offset: isize,
        field_offset: u8,
        ref_offset: u8,
        kind: X64Relocation,
    ) {
        let loc = PatchLoc::new(self.offset(), target_offset, field_offset, ref_offset, kind);
        self.relocs.add_static(StaticLabel::global(name), loc);
    }

    fn dynamic_relocation(
        &mut self,
        id: DynamicLabel,
        target_offset: isize,
        field_offset: u8,
        ref_offset: u8,
        kind: X64Relocation,
    ) {
        let loc = PatchLoc::new(self.offset(), target_offset, field_offset, ref_offset, kind);
        self.relocs.add_dynamic(id, loc);
    }

    fn forward_relocation(
        &mut self,
        name: &'static str,
        target_offset: isize,
        field_offset: u8,
        ref_offset: u8,
        kind: X64Relocation,
    ) {
        let label = match self.labels.place_local_reference(name) {
            Some(label) => label.next(),
            None => StaticLabel::first(name),
        };
        let loc = PatchLoc::new(self.offset(), target_offset, field_offset, ref_offset, kind);
        self.relocs.add_static(label, loc);
    }

    fn backward_relocation(
        &mut self,
        name: &'static str,
        target_offset: isize,
        field_offset: u8,
        ref_offset: u8,
        kind: X64Relocation,
    ) {
        let Some(label) = self.labels.place_local_reference(name) else {
            self.error = Some(DynasmError::UnknownLabel(LabelKind::Local(name)));
            return;
        };
        let loc = PatchLoc::new(self.offset(), target_offset, field_offset, ref_offset, kind);
        self.relocs.add_static(label, loc);
    }

    fn bare_relocation(
        &mut self,
        target: usize,
        field_offset: u8,
        ref_offset: u8,
        kind: X64Relocation,
    ) {
        let loc = PatchLoc::new(self.offset(), 0, field_offset, ref_offset, kind);
        if loc
            .patch(&mut self.ops[loc.range(0)], self.base, target)
            .is_err()
        {
            self.error = Some(DynasmError::ImpossibleRelocation(TargetKind::Extern(
                target,
            )));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use dynasmrt::dynasm;

    #[test]
    fn reused_buffer_assembles_like_dynasm_own() {
        fn emit<A: DynasmLabelApi<Relocation = X64Relocation>>(a: &mut A, l: DynamicLabel) {
            dynasm!(a ; .arch x64
                ; jmp =>l ; nop ; =>l ; jne >skip ; nop ; skip:
                ; ret);
        }
        let mut reference = dynasmrt::VecAssembler::<X64Relocation>::new(0x1000);
        let l = reference.new_dynamic_label();
        emit(&mut reference, l);
        let reference = reference.finalize().unwrap();
        let mut a = Asm::new(0x3000);
        dynasm!(a ; .arch x64 ; mov rax, 1 ; jmp >skip);
        a.reset(0x1000);
        let l = a.new_dynamic_label();
        emit(&mut a, l);
        a.commit().unwrap();
        assert_eq!(a.code(), &reference[..]);
    }
}
