"""rnn kernels: the fused LSTM recurrence (forward and backward), written against ``xp``.

Each time step is a handful of array calls on preallocated buffers: one matmul, the four gate
activations in one pass, and the cell/hidden updates. Sigmoid is computed as
``0.5 * tanh(0.5 * z) + 0.5`` (exact to rounding, never overflows), so all four gates take one
``tanh`` over the (N, 4H) block with per-column scale and offset.
"""
from __future__ import annotations

from typing import Any, Callable, Dict


def kernels(xp: Any) -> Dict[str, Callable[..., Any]]:
    def _gate_consts(H: int, dtype: Any):
        # columns i, f, o: sigmoid = 0.5*tanh(0.5 z) + 0.5 ; column g: tanh(z)
        scale = xp.full((4 * H,), 0.5, dtype=dtype)
        scale[2 * H:3 * H] = 1
        offset = xp.full((4 * H,), 0.5, dtype=dtype)
        offset[2 * H:3 * H] = 0
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
        scale, offset = _gate_consts(H, dt)
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
        dZ = xp.empty((T, N, G4), dtype=dt)
        # Derivatives of the activations, for all steps at once: s(1-s) for i, f, o; 1-g^2 for g.
        D = 1 - G
        D *= G
        gg = G[:, :, 2 * H:3 * H]
        xp.multiply(gg, gg, out=D[:, :, 2 * H:3 * H])
        xp.subtract(1, D[:, :, 2 * H:3 * H], out=D[:, :, 2 * H:3 * H])
        DC = 1 - TC * TC
        DC *= G[:, :, 3 * H:]                    # o * (1 - tanh(c)^2)
        if T:
            # previous states in processing order: h_{t-1} (forward) or h_{t+1} (reverse)
            Hp = xp.empty((T, N, H), dtype=dt)
            Cp = xp.empty((T, N, H), dtype=dt)
            if reverse:
                Hp[:-1], Hp[-1] = Y[0, 1:], h0
                Cp[:-1], Cp[-1] = Y[1, 1:], c0
            else:
                Hp[1:], Hp[0] = Y[0, :-1], h0
                Cp[1:], Cp[0] = Y[1, :-1], c0
        dh = xp.zeros((N, H), dtype=dt)
        dc = xp.zeros((N, H), dtype=dt)
        w_t = w_hh.T
        for t in _steps(T, not reverse):
            dh += gY[0, t]
            dc += gY[1, t]
            if mask is not None:
                m = mask[t][:, None]
                keep = ~m
                dh_keep, dc_keep = dh * keep, dc * keep
                dh = dh * m
                dc = dc * m
            dz = dZ[t]
            g_t = G[t]
            dc += dh * DC[t]                                     # total dL/dc_t through this step
            xp.multiply(dc, g_t[:, 2 * H:3 * H], out=dz[:, :H])  # d i
            xp.multiply(dc, Cp[t], out=dz[:, H:2 * H])           # d f
            xp.multiply(dc, g_t[:, :H], out=dz[:, 2 * H:3 * H])  # d g
            xp.multiply(dh, TC[t], out=dz[:, 3 * H:])            # d o
            dz *= D[t]
            dc = dc * g_t[:, H:2 * H]
            dh = xp.matmul(dz, w_t)
            if mask is not None:
                dh += dh_keep
                dc += dc_keep
        if T:
            dW = xp.matmul(Hp.reshape(T * N, H).T, dZ.reshape(T * N, G4))
        else:
            dW = xp.zeros_like(w_hh)
        return dZ, dh, dc, dW

    return {"lstm_sequence": lstm_sequence, "lstm_sequence_grad": lstm_sequence_grad}
