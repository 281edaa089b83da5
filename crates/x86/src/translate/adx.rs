//! ADX: ADCX and ADOX, unsigned add with carry through CF or OF only (the
//! other flags unchanged), so that two carry chains can interleave.

use super::{Cx, Outcome};
use crate::cpu::eflags::{CF, OF};
use iced_x86::Mnemonic;
use ox86_ir::Cond;

pub fn translate(cx: &mut Cx) -> Outcome {
    let flag = match cx.insn.mnemonic() {
        Mnemonic::Adcx => CF,
        Mnemonic::Adox => OF,
        _ => return Outcome::NotMine,
    };
    let shift = flag.trailing_zeros() as u64;
    let size = cx.op_size(0);
    let mut addr = None;
    let b = cx.read_op(1, size, &mut addr);
    let a = cx.read_reg(cx.insn.op0_register());
    let all = cx.compute_all();
    let cin = cx.b.shri(all, shift);
    let cin = cx.b.andi(cin, 1);
    let t = cx.b.add(a, b);
    let sum = cx.b.add(t, cin);
    let cout = if size == 8 {
        let c1 = cx.b.setcond(Cond::Ltu, t, a);
        let c2 = cx.b.setcond(Cond::Ltu, sum, t);
        cx.b.or(c1, c2)
    } else {
        cx.b.shri(sum, 32)
    };
    let kept = cx.b.andi(all, !flag);
    let out = cx.b.shli(cout, shift);
    let flags = cx.b.or(kept, out);
    cx.write_reg(cx.insn.op0_register(), sum);
    cx.set_cc_eflags(flags);
    Outcome::Done
}
