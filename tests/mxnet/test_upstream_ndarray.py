"""mx.nd / mx.autograd behaviours found by MXNet 1.9.1's own test_ndarray.py and test_autograd.py.

Every expected value was computed with real MXNet 1.9.1 (the ``MX`` table below: printed by a script run on
the real package, on the inputs built here) or is MXNet's documented behaviour checked there.
"""
import os

import numpy as np
import pytest

import unidl_mxnet as mx
from unidl_mxnet import autograd, nd

# results of real MXNet 1.9.1 on the inputs below (update ops: [weight, states...] after the call)
MX = {'adam': [[[0.48858311772346497, -0.9798053503036499, 1.9860073328018188],
           [1.5257015228271484, 0.24033014476299286, -0.7430820465087891]],
          [[0.04899999871850014, -0.06599999219179153, 0.07599999010562897],
           [-0.06799998879432678, 0.059999991208314896, -0.05199999362230301]],
          [[0.20000000298023224, 0.10000000149011612, 0.30000001192092896],
           [0.05000000074505806, 0.4000000059604645, 0.6000000238418579]]],
 'arange_like': [[1.0, 1.5, 2.0], [2.5, 3.0, 3.5]],
 'arange_like_axis': [0.0, 0.0, 1.0],
 'bl_axes': (6, 2, 8, 3),
 'boolean_mask': [[1.0, 2.0, 3.0]],
 'choose': [3.0, 4.0],
 'crop': [[2.0, 3.0], [5.0, 6.0]],
 'crop_assign': [[1.0, 2.0, 3.0], [0.0, 0.0, 6.0]],
 'csr': [[1.0, 2.0, 3.0], [1, 0, 2], [0, 1, 3], 'int64'],
 'csr_from_triple': [[0.0, 0.0, 1.0], [0.0, 0.0, 0.0], [2.0, 3.0, 0.0]],
 'fill': [[1.0, 9.0, 3.0], [4.0, 5.0, 8.0]],
 'ftml': [[[0.4648934006690979, -0.9662880301475525, 1.9643776416778564],
           [1.512210488319397, 0.22088782489299774, -0.7189951539039612]],
          [[0.009999999776482582, 0.019999999552965164, -0.029999999329447746],
           [0.03999999910593033, -0.05000000074505806, 0.05999999865889549]],
          [[0.20000000298023224, 0.10000000149011612, 0.30000001192092896],
           [0.05000000074505806, 0.4000000059604645, 0.6000000238418579]],
          [[-2.9795279502868652, 4.471442699432373, -15.661083221435547],
           [-5.449193954467773, -2.0296483039855957, 8.046841621398926]]],
 'ftrl': [[[-0.0030686852987855673, -0.028315119445323944, 0.07724051922559738],
           [0.26518702507019043, -0.00030844940920360386, -0.04992913827300072]],
          [[0.0547800213098526, 0.39937981963157654, -1.2655444145202637],
           [-3.8797619342803955, 0.015574377030134201, 0.9989942908287048]],
          [[0.20000000298023224, 0.10000000149011612, 0.30000001192092896],
           [0.05000000074505806, 0.4000000059604645, 0.6000000238418579]]],
 'index_copy': [[7.0, 8.0, 9.0], [4.0, 5.0, 6.0]],
 'isfinite': [1.0, 0.0, 0.0, 0.0],
 'isinf': [0.0, 1.0, 1.0, 0.0],
 'isnan': [0.0, 0.0, 0.0, 1.0],
 'lamb1': [[[0.0846879631280899, -0.10478094965219498, 0.10252289474010468],
            [-0.22031517326831818, 0.11958329379558563, -0.12236703187227249]],
           [[0.02800000086426735, -0.023999998345971107, 0.035999998450279236],
            [-0.047999996691942215, 0.059999991208314896, -0.07199999690055847]],
           [[0.1809999942779541, 0.09399999678134918, 0.27900001406669617],
            [0.06100000441074371, 0.38499999046325684, 0.5760000348091125]]],
 'lamb2': [[0.4480926990509033, -0.9357771873474121, 1.9371612071990967],
           [1.6350364685058594, 0.1767044961452484, -0.6749982833862305]],
 'moveaxis': (4, 3, 1, 2),
 'nag': [[[0.4881500005722046, -0.9438999891281128, 1.9148999452590942],
          [1.6055500507354736, 0.11402499675750732, -0.5859750509262085]],
         [[-0.001488151028752327, 0.038943901658058167, -0.058914899826049805],
          [0.07439444959163666, -0.09511402249336243, 0.11458597332239151]]],
 'onehot': [[0.0, 0.0, 0.0, 1.0], [0.0, 1.0, 0.0, 0.0]],
 'retain': [[1.0, 1.0], [0.0, 0.0], [0.0, 0.0], [1.0, 1.0]],
 'rmsprop': [[[0.39553919434547424, -0.8597222566604614, 1.8341790437698364],
              [1.670776605606079, 0.06041330099105835, -0.54851233959198]],
             [[0.009999999776482582, 0.019999999552965164, -0.029999999329447746],
              [0.03999999910593033, -0.05000000074505806, 0.05999999865889549]]],
 'rmspropalex': [[[0.7293028235435486, -1.0591156482696533, 2.1273837089538574],
                  [1.6209964752197266, 0.35416460037231445, -0.9211572408676147]],
                 [[0.009999999776482582, 0.019999999552965164, -0.029999999329447746],
                  [0.03999999910593033, -0.05000000074505806, 0.05999999865889549]],
                 [[0.1899999976158142, 0.06999999284744263, 0.30000001192092896],
                  [0.004999987781047821, 0.4099999964237213, 0.48000001907348633]],
                 [[0.22930283844470978, -0.059115633368492126, 0.12738361954689026],
                  [0.12099652737379074, 0.10416460782289505, -0.17115721106529236]]],
 'rsp': [[1, 3], [[1.0, 2.0], [3.0, 0.0]]],
 'rsp_from_pair': [[1.0, 2.0], [0.0, 0.0], [3.0, 4.0], [0.0, 0.0]],
 'sgd': [[[0.4945000112056732, -0.9890000224113464, 1.9860000610351562],
          [1.5104999542236328, 0.23775000870227814, -0.7372499704360962]]],
 'sgd_mom': [[[0.5034999847412109, -0.9710000157356262, 1.9559999704360962],
              [1.5544999837875366, 0.179749995470047, -0.6652500033378601]],
             [[0.003499999176710844, 0.028999999165534973, -0.04399999976158142],
              [0.054499998688697815, -0.0702499970793724, 0.08474999666213989]]],
 'sgd_noout': [[[0.5, -1.0, 2.0], [1.5, 0.25, -0.75]],
               [[0.49000000953674316, -0.9800000190734863, 1.9700000286102295],
                [1.5399999618530273, 0.20000000298023224, -0.6899999976158142]]],
 'signsgd': [[[0.3995000123977661, -0.8989999890327454, 1.8980000019073486],
              [1.5985000133514404, 0.1497499942779541, -0.6492499709129333]]],
 'signum': [[[0.39900001883506775, -0.8980000019073486, 1.8960000276565552],
             [1.597000002861023, 0.1495000123977661, -0.6484999656677246]],
            [[-0.0015000030398368835, 0.039000004529953, -0.059000007808208466],
             [0.07450000941753387, -0.09525001049041748, 0.11475001275539398]]],
 'softmax_len': [[1.0, 0.0, 0.0], [0.2689414322376251, 0.7310585975646973, 0.0]],
 'split_v2': [(2, 1), (2, 2), (2, 2), (2, 1)]}

W0 = np.array([[0.5, -1.0, 2.0], [1.5, 0.25, -0.75]], np.float32)
G0 = np.array([[0.1, -0.2, 0.3], [-0.4, 0.5, -0.6]], np.float32)
S0 = np.array([[0.01, 0.02, -0.03], [0.04, -0.05, 0.06]], np.float32)
S1 = np.array([[0.2, 0.1, 0.3], [0.05, 0.4, 0.6]], np.float32)
S2 = np.array([[0.3, -0.1, 0.2], [0.1, 0.2, -0.3]], np.float32)


def _run(fn, nstates):
    w, g = nd.array(W0), nd.array(G0)
    st = [nd.array(x) for x in (S0, S1, S2)[:nstates]]
    fn(w, g, *st)
    return [w.asnumpy()] + [s.asnumpy() for s in st]


UPDATES = {
    "sgd": (lambda w, g: nd.sgd_update(w, g, lr=0.1, wd=0.01, rescale_grad=0.5, clip_gradient=0.12, out=w), 0),
    "sgd_mom": (lambda w, g, m: nd.sgd_mom_update(w, g, m, lr=0.1, momentum=0.9, wd=0.01, rescale_grad=0.5, out=w), 1),
    "nag": (lambda w, g, m: nd.nag_mom_update(w, g, m, lr=0.1, momentum=0.9, wd=0.01, out=w), 1),
    "signsgd": (lambda w, g: nd.signsgd_update(w, g, lr=0.1, wd=0.01, out=w), 0),
    "signum": (lambda w, g, m: nd.signum_update(w, g, m, lr=0.1, momentum=0.9, wd=0.01, wd_lh=0.02, out=w), 1),
    "adam": (lambda w, g, m, v: nd.adam_update(w, g, m, nd.abs(v), lr=0.1, beta1=0.8, beta2=0.9, epsilon=1e-6,
                                               wd=0.01, rescale_grad=2.0, clip_gradient=0.5, out=w), 2),
    "rmsprop": (lambda w, g, n: nd.rmsprop_update(w, g, nd.abs(n), lr=0.1, gamma1=0.9, epsilon=1e-6, wd=0.01,
                                                  out=w), 1),
    "rmspropalex": (lambda w, g, n, gg, d: nd.rmspropalex_update(w, g, nd.abs(n) + 1, gg, d, lr=0.1, gamma1=0.9,
                                                                 gamma2=0.8, epsilon=1e-6, out=w), 3),
    "ftrl": (lambda w, g, z, n: nd.ftrl_update(w, g, z, nd.abs(n), lr=0.1, lamda1=0.01, beta=1.0, wd=0.01, out=w), 2),
    "ftml": (lambda w, g, d, v, z: nd.ftml_update(w, g, nd.abs(d), nd.abs(v), z, lr=0.1, beta1=0.6, beta2=0.9,
                                                  epsilon=1e-6, t=3, wd=0.01, clip_grad=0.35, out=w), 3),
}


@pytest.mark.parametrize("name", sorted(UPDATES))
def test_update_ops_match_mxnet_and_mutate_weight_and_states(name):
    fn, n = UPDATES[name]
    got = _run(fn, n)
    for g, want in zip(got, MX[name]):
        np.testing.assert_allclose(g, np.array(want, np.float32), rtol=2e-6, atol=1e-7)


def test_update_op_without_out_leaves_the_weight():
    w = nd.array(W0)
    r = nd.sgd_update(w, nd.array(G0), lr=0.1)
    np.testing.assert_array_equal(w.asnumpy(), MX["sgd_noout"][0])
    np.testing.assert_allclose(r.asnumpy(), MX["sgd_noout"][1], rtol=1e-6)


def test_lamb_phases_match_mxnet():
    w, g, m, v = nd.array(W0), nd.array(G0), nd.array(S0), nd.array(np.abs(S1))
    p1 = nd.lamb_update_phase1(w, g, m, v, beta1=0.8, beta2=0.9, epsilon=1e-6, t=2, wd=0.01)
    for got, want in zip((p1, m, v), MX["lamb1"]):
        np.testing.assert_allclose(got.asnumpy(), want, rtol=2e-6, atol=1e-7)
    out = nd.lamb_update_phase2(w, p1, nd.norm(w), nd.norm(p1), lr=0.1, lower_bound=0.5, upper_bound=2.0, out=w)
    assert out is w
    np.testing.assert_allclose(w.asnumpy(), MX["lamb2"], rtol=2e-6, atol=1e-7)


def test_reset_arrays_zeroes_in_place():
    a, b = nd.ones((2, 2)), nd.ones(3, dtype="int32")
    nd.reset_arrays(a, b, num_arrays=2)
    assert a.asnumpy().sum() == 0 and b.asnumpy().sum() == 0 and b.dtype == np.int32


def test_out_argument_of_creation_and_ops_writes_into_out():
    z = nd.zeros((2, 2))
    assert nd.ones((2, 2), out=z) is z and (z.asnumpy() == 1).all()
    assert nd.full((2, 2), 2, out=z) is z and (z.asnumpy() == 2).all()
    assert nd.zeros((2, 2), out=z) is z and (z.asnumpy() == 0).all()
    o = nd.zeros((3,))
    assert nd.arange(3, out=o) is o and o.asnumpy().tolist() == [0, 1, 2]
    x = nd.array([[1, 2], [3, 4]])
    t = nd.zeros((2, 2))
    assert nd.transpose(x, out=t) is t and t.asnumpy().tolist() == [[1, 3], [2, 4]]
    d = nd.zeros((2, 2))
    assert nd.dot(x, x, out=d) is d and d.asnumpy().tolist() == [[7, 10], [15, 22]]
    with pytest.raises(mx.MXNetError, match="shape"):
        nd.ones((2, 3), out=z)


def test_array_from_0d_source_keeps_shape_0d():
    # MXNet 1.9.1: mx.nd.array(np.ones([])).shape == (); results of ops are never 0-d
    a = nd.array(np.ones([]))
    assert a.shape == () and a.asnumpy() == 1
    assert nd.array(5).shape == ()
    assert (a + 1).shape == (1,)


def test_dense_tostype_and_stype():
    x = nd.ones((2, 2))
    assert x.stype == "default" and x.tostype("default") is not x
    with pytest.raises(mx.MXNetError, match="valid values"):
        x.tostype("foo")
    with pytest.raises(ValueError, match="2 Dimensional"):
        nd.ones((2, 2, 2)).tostype("csr")
    with pytest.raises(ValueError, match="not supported"):
        x.tostype("csr").tostype("row_sparse")


def test_csr_and_row_sparse_views_match_mxnet():
    c = nd.array([[0, 1, 0], [2, 0, 3]]).tostype("csr")
    assert isinstance(c, nd.CSRNDArray) and c.stype == "csr"
    data, indices, indptr, idt = MX["csr"]
    assert c.data.asnumpy().tolist() == data and c.indices.asnumpy().tolist() == indices
    assert c.indptr.asnumpy().tolist() == indptr and c.indices.dtype == np.dtype(idt).type
    r = nd.array([[0, 0], [1, 2], [0, 0], [3, 0]]).tostype("row_sparse")
    assert isinstance(r, nd.RowSparseNDArray)
    assert r.indices.asnumpy().tolist() == MX["rsp"][0] and r.data.asnumpy().tolist() == MX["rsp"][1]
    assert repr(c).strip() == "<CSRNDArray 2x3 @cpu(0)>"


def test_sparse_creation_and_retain_match_mxnet():
    sp = nd.sparse
    assert sp.csr_matrix(([1, 2, 3], [2, 0, 1], [0, 1, 1, 3]), shape=(3, 3)).asnumpy().tolist() == MX["csr_from_triple"]
    r = sp.row_sparse_array(([[1, 2], [3, 4]], [0, 2]), shape=(4, 2))
    assert r.stype == "row_sparse" and r.asnumpy().tolist() == MX["rsp_from_pair"]
    kept = sp.retain(nd.ones((4, 2)).tostype("row_sparse"), nd.array([0, 3]))
    assert kept.stype == "row_sparse" and kept.asnumpy().tolist() == MX["retain"]
    assert sp.zeros("csr", (2, 3)).stype == "csr" and sp.zeros("row_sparse", (2, 3)).asnumpy().sum() == 0
    assert nd.zeros((1, 1), stype="csr").stype == "csr"
    assert nd.cast_storage(nd.ones((2, 2)), "csr").stype == "csr"
    assert sp.dot(sp.csr_matrix(np.eye(2, dtype=np.float32)), nd.ones((2, 1))).asnumpy().tolist() == [[1], [1]]


def test_sparse_arithmetic_keeps_the_storage_type_where_mxnet_does():
    c = nd.ones((2, 2)).tostype("csr")
    r = nd.ones((2, 2)).tostype("row_sparse")
    assert (c * 2).stype == "csr" and (c + c).stype == "csr" and (r + r).stype == "row_sparse"
    assert (r * 2).stype == "row_sparse" and nd.exp(c).stype == "default"
    assert c.copy().stype == "csr" and c.detach().stype == "csr" and c.astype("float64").stype == "csr"
    assert c[1].shape == (1, 2) and c[1].stype == "csr"
    with pytest.raises(mx.MXNetError, match="reshape"):
        c.reshape((4,))


def test_gradient_storage_type():
    # MXNet 1.9.1: the gradient's stype defaults to the array's, or attach_grad(stype=...)
    x = nd.zeros((1, 1), stype="csr")
    x.attach_grad()
    assert x.grad.stype == "csr" and x.detach().stype == "csr"
    y = nd.ones((8, 3))
    y.attach_grad(stype="row_sparse")
    lhs = nd.array([[1, 0, 0, 0, 0, 0, 0, 2], [0, 0, 3, 0, 0, 0, 0, 0]]).tostype("csr")
    with autograd.record():
        out = nd.dot(lhs, y)
    out.backward()
    assert y.grad.stype == "row_sparse"
    np.testing.assert_allclose(y.grad.asnumpy(), lhs.asnumpy().T @ np.ones((2, 3)))


def test_fresh_grad_tracks_backward_writes():
    x, y = nd.ones((2, 2)), nd.ones((2, 2))
    dx, dy = nd.zeros_like(x), nd.zeros_like(y)
    autograd.mark_variables([x, y], [dx, dy])
    assert not x._fresh_grad and not y._fresh_grad
    with autograd.record():
        (x + 2 + y).backward()
    assert x._fresh_grad and y._fresh_grad
    x._fresh_grad = False
    y._fresh_grad = False
    with autograd.record():
        ((x + 2).detach() + y).backward()
    assert y._fresh_grad and not x._fresh_grad
    z = nd.ones(3)
    z.attach_grad()
    assert not z._fresh_grad
    with autograd.record():
        (z * 2).backward()
    assert z._fresh_grad


def test_get_symbol_lists_the_marked_arrays_as_arguments():
    x, z = nd.ones((1,)), nd.ones((1,))
    x.attach_grad()
    z.attach_grad()
    with autograd.record():
        y1 = x * x + 2 * x - 1
        y2 = x * x + 2 * z - 1
    assert len(autograd.get_symbol(y1).list_arguments()) == 1
    assert len(autograd.get_symbol(y2).list_arguments()) == 2
    with pytest.raises(mx.MXNetError, match="record"):
        autograd.get_symbol(nd.ones(2))


def test_setitem_under_record_errors_as_mxnet():
    x, y = nd.zeros((3, 4)), nd.ones((4,))
    y.attach_grad()
    with pytest.raises(mx.MXNetError, match="Inplace operations"):
        with autograd.record():
            x[0] = y
    w = nd.zeros((3, 4))
    w.attach_grad()
    with pytest.raises(mx.MXNetError, match="already in a computational graph"):
        with autograd.record():
            w[0] = 5
    q = nd.zeros(2)
    with autograd.record():
        q[0] = 5  # nothing in the graph: allowed
    assert q.asnumpy().tolist() == [5, 0]


def test_legacy_element_ops_match_mxnet():
    x = nd.array([[1, 2, 3], [4, 5, 6]])
    assert nd.choose_element_0index(x, nd.array([2, 0])).asnumpy().tolist() == MX["choose"]
    assert nd.fill_element_0index(x, nd.array([9, 8]), nd.array([1, 2])).asnumpy().tolist() == MX["fill"]
    assert x.asnumpy().tolist() == [[1, 2, 3], [4, 5, 6]]  # not mutated
    o = nd.zeros((2, 4))
    assert nd.onehot_encode(nd.array([3, 1]), out=o) is o and o.asnumpy().tolist() == MX["onehot"]
    assert nd.crop(x, begin=(0, 1), end=(2, 3)).asnumpy().tolist() == MX["crop"]
    y = x.copy()
    nd._internal._crop_assign(y, nd.zeros((1, 2)), begin=(1, 0), end=(2, 2), out=y)
    assert y.asnumpy().tolist() == MX["crop_assign"]
    nd._internal._crop_assign_scalar(y, scalar=5, begin=(0, 0), end=(1, 1), out=y)
    assert y.asnumpy()[0, 0] == 5


def test_contrib_ops_match_mxnet():
    v = nd.array([1, np.inf, -np.inf, np.nan])
    assert nd.contrib.isfinite(v).asnumpy().tolist() == MX["isfinite"]
    assert nd.contrib.isnan(v).asnumpy().tolist() == MX["isnan"]
    assert nd.contrib.isinf(v).asnumpy().tolist() == MX["isinf"]
    x = nd.array([[1, 2, 3], [4, 5, 6]])
    assert nd.contrib.arange_like(x, start=1, step=0.5).asnumpy().tolist() == MX["arange_like"]
    assert nd.contrib.arange_like(x, axis=1, repeat=2).asnumpy().tolist() == MX["arange_like_axis"]
    assert nd.contrib.index_copy(x, nd.array([0]), nd.array([[7, 8, 9]])).asnumpy().tolist() == MX["index_copy"]
    assert nd.contrib.boolean_mask(x, nd.array([1, 0])).asnumpy().tolist() == MX["boolean_mask"]
    assert nd.contrib.allclose(x, x).asnumpy() == 1


def test_softmax_use_length_matches_mxnet():
    x = nd.array([[1, 2, 3], [4, 5, 6]])
    got = nd.softmax(x, nd.array([1, 2], dtype="int32"), axis=1, use_length=True)
    np.testing.assert_allclose(got.asnumpy(), MX["softmax_len"], rtol=1e-6)
    with pytest.raises(mx.MXNetError, match="integer"):
        nd.softmax(x, nd.array([1, 2]), axis=1, use_length=True)


def test_shape_ops_match_mxnet():
    assert nd.broadcast_like(nd.ones((1, 2, 1, 3)), nd.ones((5, 6, 7, 8)), lhs_axes=(0, 2),
                             rhs_axes=(1, 3)).shape == MX["bl_axes"]
    with pytest.raises(mx.MXNetError):
        nd.broadcast_like(nd.ones((1,)), nd.ones((5,)), lhs_axes=(), rhs_axes=())
    assert nd.moveaxis(nd.zeros((4, 1, 2, 3)), [3, 0], [1, 0]).shape == MX["moveaxis"]
    for src, dst in ((3, 0), (0, [0, 1]), ([0, 0], [0, 1])):
        with pytest.raises(ValueError):
            nd.moveaxis(nd.zeros((1, 2, 3)), src, dst)
    assert [p.shape for p in nd.split_v2(nd.zeros((2, 6)), (1, 3, 5), axis=1)] == [tuple(s) for s in MX["split_v2"]]
    with pytest.raises(ValueError):
        nd.ones((2, 3, 5)).reshape((2, 3))


@pytest.mark.parametrize("method, kwargs", [("expand_dims", {"axis": 1}), ("squeeze", {}), ("flatten", {})])
def test_inplace_shape_methods_share_memory_and_copies_do_not(method, kwargs):
    data = nd.ones((2, 1, 3))
    copy = getattr(data, method)(**kwargs)
    ref = getattr(data, method)(inplace=True, **kwargs)
    data[0] = -1
    assert (copy.asnumpy() == 1).all()
    assert (ref.asnumpy() == -1).sum() == 3
    fn_copy = getattr(nd, method)(data, **kwargs)
    data[:] = 7
    assert (fn_copy.asnumpy() != 7).all()


def test_basic_indexing_contiguity_predicate():
    f = nd.NDArray._basic_indexing_slice_is_contiguous
    assert f((slice(None), slice(1, 3)), (4, 5)) is False
    assert f((slice(1, 3), slice(None)), (4, 5)) is True
    assert f((slice(1, 2), slice(1, 3)), (4, 5)) is True
    assert f((slice(None, None, -1), slice(None)), (4, 5)) is False


def test_setitem_takes_values_with_extra_leading_ones():
    b = nd.zeros(1)
    b[0] = np.array([47.844944], dtype=np.float32)
    assert b.asnumpy()[0] == np.float32(47.844944)
    c = nd.zeros((2, 3))
    c[0] = np.ones((1, 1, 3))
    assert c.asnumpy().tolist() == [[1, 1, 1], [0, 0, 0]]


def test_integer_rounding_is_exact():
    a = nd.array([50000001, -2], dtype="int32")
    for f in (nd.round, nd.rint, nd.fix, nd.floor, nd.ceil, nd.trunc):
        r = f(a)
        assert r.dtype == np.int32 and r.asnumpy().tolist() == [50000001, -2]
    assert np.all(nd.array([3], dtype="int32") == 3)


def test_topk_mask_keeps_dtype_and_shape():
    a = nd.array(np.arange(24).reshape(2, 3, 4), dtype="int32")
    m = nd.topk(a, axis=None, ret_typ="mask", k=5)
    assert m.shape == (2, 3, 4) and m.dtype == np.int32 and m.asnumpy().sum() == 5
    assert nd.topk(a, axis=1, k=2).dtype == np.float32


def test_cpu_contexts_are_remembered():
    ctx = mx.Context("cpu_shared", 0)
    assert nd.zeros((1, 2), ctx=ctx).context == ctx
    assert nd.ones(2, ctx=mx.cpu(1)).context == mx.cpu(1)
    assert nd.ones(2).as_in_context(mx.cpu(2)).context == mx.cpu(2)
    assert nd.ones(2).context == mx.cpu(0)


def test_load_frombuffer_and_np_shape_records(tmp_path):
    fname = str(tmp_path / "a.nd")
    nd.save(fname, {"w": nd.array([[1, 2]]), "b": nd.zeros((0, 3))})
    with open(fname, "rb") as f:
        raw = f.read()
    got = nd.load_frombuffer(raw)
    assert got["w"].asnumpy().tolist() == [[1, 2]] and got["b"].shape == (0, 3)
    with pytest.raises(mx.MXNetError):
        nd.load_frombuffer(raw[:-10])
    # MXNet: a file written under np-shape semantics loads only under them, and the other way round
    with mx.np_shape(True):
        with pytest.raises(mx.MXNetError):
            nd.load(fname)
        nd.save(fname, [nd.array(np.float32(3))])
        assert nd.load(fname)[0].shape == ()
    with pytest.raises(mx.MXNetError):
        nd.load(fname)


def test_from_numpy_shares_memory_and_from_dlpack_round_trips():
    a = np.array([[1, 2], [3, 4], [5, 6]], dtype="float32")
    m = nd.from_numpy(a)
    with pytest.raises(ValueError):
        a[2, 1] = 0
    m[2, 1] = 100
    assert a[2, 1] == 100
    m2 = nd.from_numpy(a)  # the same array again
    m2[0, 0] = -1
    assert a[0, 0] == -1
    with pytest.raises(ValueError):
        nd.from_numpy(np.ones((2, 3)).T)
    assert nd.from_numpy(np.ones((2, 3)).T, zero_copy=False).shape == (3, 2)
    x = nd.array([[1, 2], [3, 4]])
    for cap in (x.to_dlpack_for_read(), nd.to_dlpack_for_write(x)):
        np.testing.assert_array_equal(nd.from_dlpack(cap).asnumpy(), x.asnumpy())


def test_mx_name_scopes():
    with mx.name.NameManager():
        pass
    assert mx.name.Prefix("a_").get(None, "dense") == "a_dense0"
