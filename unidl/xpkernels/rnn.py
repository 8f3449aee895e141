"""rnn kernels: the fused LSTM recurrence (forward and backward), written against ``xp``.

Each time step is a handful of array calls on preallocated buffers: one matmul, the four gate
activations in one pass, and the cell/hidden updates. Sigmoid is computed as
``0.5 * tanh(0.5 * z) + 0.5`` (exact to rounding, never overflows), so all four gates take one
``tanh`` over the (N, 4H) block with per-column scale and offset.

The backward computes the activation derivatives of all steps at once into the buffer that becomes
the gate gradients (scaled in place step by step, no per-step allocation) and the recurrent weight
gradient as one GEMM over all steps at the end (``h_prev(all steps)^T @ dZ(all steps)``). Each backward step
is one GEMM with a contiguous copy of ``w_hh^T`` (made once per call) and ten elementwise calls on
preallocated buffers.
"""
from __future__ import annotations

from typing import Any, Callable, Dict

from unidl.dtypes import via_float32


def kernels(xp: Any) -> Dict[str, Callable[..., Any]]:
    def _gate_consts(N: int, H: int, dtype: Any):
        # columns i, f, o: sigmoid = 0.5*tanh(0.5 z) + 0.5 ; column g: tanh(z). Full (N, 4H) arrays, made once
        # per call: a product with a row broadcast over the batch runs a loop per row (about twice the time here)
        scale = xp.full((N, 4 * H), 0.5, dtype=dtype)
        scale[:, 2 * H:3 * H] = 1
        offset = xp.full((N, 4 * H), 0.5, dtype=dtype)
        offset[:, 2 * H:3 * H] = 0
        return scale, offset

    def _steps(T: int, reverse: bool):
        return range(T - 1, -1, -1) if reverse else range(T)

    def lstm_sequence(xw: Any, h0: Any, c0: Any, w_hh: Any, mask: Any, reverse: bool):
        T, N, G4 = xw.shape
        H = G4 // 4
        dt = xw.dtype
        Y = xp.empty((2, T, N, H), dtype=dt)
        G = xp.empty((T, N, G4), dtype=dt)
        TC = xp.empty((T, N, H), dtype=dt)  # tanh(c_t), kept for the backward
        scale, offset = _gate_consts(N, H, dt)
        tmp = xp.empty((N, H), dtype=dt)
        hp, cp = h0, c0
        for t in _steps(T, reverse):
            z = G[t]
            xp.matmul(hp, w_hh, out=z)
            z += xw[t]
            z *= scale
            xp.tanh(z, out=z)
            z *= scale  # tanh columns: *1; sigmoid columns: *0.5, then + 0.5
            z += offset
            i, f, g, o = z[:, :H], z[:, H:2 * H], z[:, 2 * H:3 * H], z[:, 3 * H:]
            c = Y[1, t]
            h = Y[0, t]
            xp.multiply(f, cp, out=c)
            xp.multiply(i, g, out=tmp)
            c += tmp
            xp.tanh(c, out=TC[t])
            xp.multiply(o, TC[t], out=h)
            if mask is not None:
                m = mask[t][:, None]
                if not bool(m.all()):
                    Y[1, t] = xp.where(m, c, cp)
                    Y[0, t] = xp.where(m, h, hp)
            hp, cp = Y[0, t], Y[1, t]
        return Y, (G, TC)

    def lstm_sequence_grad(gY: Any, xw: Any, h0: Any, c0: Any, w_hh: Any, Y: Any, ws: Any, mask: Any,
                           reverse: bool):
        T, N, G4 = xw.shape
        H = G4 // 4
        dt = xw.dtype
        G, TC = ws
        # Derivatives of the activations for all steps at once, in the buffer that then becomes the
        # gate gradients dZ (each step scales its slice in place): s(1-s) for i, f, o; 1-g^2 for g.
        dZ = xp.subtract(1, G)
        dZ *= G
        gg, Dg = G[:, :, 2 * H:3 * H], dZ[:, :, 2 * H:3 * H]
        xp.multiply(gg, gg, out=Dg)
        xp.subtract(1, Dg, out=Dg)
        DC = xp.multiply(TC, TC)
        xp.subtract(1, DC, out=DC)
        DC *= G[:, :, 3 * H:]                    # o * (1 - tanh(c)^2)
        dhc = xp.zeros((2, N, H), dtype=dt)  # dL/dh and dL/dc carried back, one buffer: one add of gY a step
        dh, dc = dhc[0], dhc[1]
        tmp = xp.empty((N, H), dtype=dt)
        fac = xp.empty((N, G4), dtype=dt)
        # w_hh^T laid out contiguously once: BLAS runs the NN kernel each step (OpenBLAS's NT path for these
        # shapes is ~1.4x slower); the same products and sums, one copy of (H, 4H) per call
        w_t = xp.ascontiguousarray(w_hh.T)
        gYt = gY.transpose(1, 0, 2, 3)  # (T, 2, N, H): step t's (dh, dc) contributions as one operand
        first = T - 1 if reverse else 0  # the first step the forward processed: its c_prev is c0
        for t in _steps(T, not reverse):
            dhc += gYt[t]
            if mask is not None:
                m = mask[t][:, None]
                keep = ~m
                dh_keep, dc_keep = dh * keep, dc * keep
                dh *= m
                dc *= m
            g_t = G[t]
            xp.multiply(dh, DC[t], out=tmp)
            dc += tmp                                            # total dL/dc_t through this step
            c_prev = c0 if t == first else Y[1, t + 1 if reverse else t - 1]
            xp.multiply(dc, g_t[:, 2 * H:3 * H], out=fac[:, :H])  # d i
            xp.multiply(dc, c_prev, out=fac[:, H:2 * H])           # d f
            xp.multiply(dc, g_t[:, :H], out=fac[:, 2 * H:3 * H])  # d g
            xp.multiply(dh, TC[t], out=fac[:, 3 * H:])            # d o
            dz = dZ[t]
            dz *= fac
            dc *= g_t[:, H:2 * H]
            xp.matmul(dz, w_t, out=dh)
            if mask is not None:
                dh += dh_keep
                dc += dc_keep
        # dW = sum_t h_prev(t)^T dZ[t] as one GEMM over the steps whose h_prev is a stored output,
        # plus the initial state's step.
        if T == 0:
            return dZ, dh, dc, xp.zeros_like(w_hh)
        H2, Z2 = (Y[0, 1:], dZ[:-1]) if reverse else (Y[0, :-1], dZ[1:])
        dW = xp.matmul(h0.T, dZ[first])
        if T > 1:
            dW += xp.matmul(H2.reshape((T - 1) * N, H).T, Z2.reshape((T - 1) * N, G4))
        return dZ, dh, dc, dW

    # bfloat16 runs the recurrence in float32 and rounds the outputs once
    return {"lstm_sequence": via_float32(lstm_sequence), "lstm_sequence_grad": via_float32(lstm_sequence_grad)}
