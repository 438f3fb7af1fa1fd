/*
 * Customisable contraction hierarchies (Dibbelt, Strasser & Wagner, "Customizable
 * Contraction Hierarchies", ACM JEA 21, 2016) for routing/customisable.py.
 *
 * Everything works in rank space: node x is the x-th node of the elimination order.  A
 * metric is one array of 2E weights: w[2e] climbs edge e (lower end to higher), w[2e + 1]
 * descends it.  A triangle is three edge positions (xy, xz, yz) with x < y < z.
 *
 *   cch_build      Symbolic elimination of an undirected graph in the given order: the
 *                  chordal supergraph as an upward CSR (each node's higher neighbours, sorted),
 *                  the elimination tree (parent = lowest higher neighbour) and every lower
 *                  triangle {x < y < z} as three edge positions.  Metric independent.
 *   cch_customise  Basic customisation of one metric: both directions of every edge relaxed
 *                  over its lower triangles, lowest node first.  Afterwards every pair of
 *                  nodes has a shortest path that climbs and then descends in rank.
 *   cch_update     The same result after some input weights changed (up or down): only the
 *                  changed edges and the edges above them whose value changes are recomputed,
 *                  each from its input weight and its lower triangles, lowest first.
 *   cch_query      PHAST (Delling, Goldberg, Nowatzyk & Werneck, IPDPS 2011) on the
 *                  customised weights: an upward sweep over the elimination-tree ancestors of
 *                  the sources, then one downward sweep over all nodes, giving the exact
 *                  distance of every node from (or, with the weights swapped, to) the sources.
 */
#include "_common.h"

/* a growable list of node or edge numbers (int32) */
typedef struct {
    int32_t *a;
    Py_ssize_t n, cap;
} IList;

/* append a[0..na) to dst (rows are sorted and deduplicated when their node is eliminated) */
static int append(IList *dst, const int32_t *a, Py_ssize_t na) {
    if (dst->n + na > dst->cap) {
        Py_ssize_t cap = 2 * (dst->n + na);
        int32_t *p = realloc(dst->a, (size_t)cap * sizeof(int32_t));
        if (!p) return -1;
        dst->a = p;
        dst->cap = cap;
    }
    memcpy(dst->a + dst->n, a, (size_t)na * sizeof(int32_t));
    dst->n += na;
    return 0;
}


PyObject *cch_build(PyObject *self, PyObject *args) {
    Py_ssize_t n;
    PyObject *o_u, *o_v;
    if (!PyArg_ParseTuple(args, "nOO", &n, &o_u, &o_v)) return NULL;
    Buf bu = {0}, bv = {0};
    PyObject *ret = NULL;
    IList *up = NULL;
    int64_t *ptr = NULL;
    int32_t *head = NULL, *parent = NULL, *tri = NULL;
    Py_ssize_t *deg = NULL;
    if (get_buf(o_u, &bu, "i", 8, 0, "u") || get_buf(o_v, &bv, "i", 8, 0, "v")) goto done;
    Py_ssize_t m = LEN(bu, 8);
    const int64_t *u = bu.view.buf, *v = bv.view.buf;
    if (n < 0 || n > INT32_MAX || LEN(bv, 8) != m) {
        PyErr_SetString(PyExc_ValueError, "cch_build: bad node count or edge arrays");
        goto done;
    }
    for (Py_ssize_t i = 0; i < m; i++)
        if (u[i] < 0 || u[i] >= n || v[i] < 0 || v[i] >= n || u[i] == v[i]) {
            PyErr_SetString(PyExc_ValueError, "cch_build: edge end out of range or a loop");
            goto done;
        }
    up = calloc((size_t)n + 1, sizeof(IList));
    deg = calloc((size_t)n + 1, sizeof(Py_ssize_t));
    parent = malloc(((size_t)n + 1) * sizeof(int32_t));
    ptr = malloc(((size_t)n + 1) * sizeof(int64_t));
    if (!up || !deg || !parent || !ptr) goto nomem;
    /* original higher neighbours of each node */
    for (Py_ssize_t i = 0; i < m; i++) deg[u[i] < v[i] ? u[i] : v[i]]++;
    for (Py_ssize_t x = 0; x < n; x++) {
        if (deg[x] && !(up[x].a = malloc((size_t)deg[x] * sizeof(int32_t)))) goto nomem;
        up[x].cap = deg[x];
    }
    for (Py_ssize_t i = 0; i < m; i++) {
        int64_t lo = u[i] < v[i] ? u[i] : v[i], hi = u[i] < v[i] ? v[i] : u[i];
        up[lo].a[up[lo].n++] = (int32_t)hi;
    }
    /* eliminate in rank order: x's higher neighbours become a clique, which is recorded by
     * merging them into the lowest of them (its parent in the elimination tree) */
    Py_ssize_t total = 0, n_tri = 0;
    for (Py_ssize_t x = 0; x < n; x++) {
        IList *ux = &up[x];
        if (ux->n > 1) {
            qsort(ux->a, (size_t)ux->n, sizeof(int32_t), cmp_i32);
            Py_ssize_t k = 1;
            for (Py_ssize_t i = 1; i < ux->n; i++)
                if (ux->a[i] != ux->a[k - 1]) ux->a[k++] = ux->a[i];
            ux->n = k;
        }
        total += ux->n;
        n_tri += ux->n * (ux->n - 1) / 2;
        parent[x] = ux->n ? ux->a[0] : -1;
        if (ux->n > 1 && append(&up[ux->a[0]], ux->a + 1, ux->n - 1)) goto nomem;
    }
    if (total > INT32_MAX) {
        PyErr_SetString(PyExc_ValueError, "cch_build: too many edges after elimination");
        goto done;
    }
    head = malloc(((size_t)total + 1) * sizeof(int32_t));
    tri = malloc(((size_t)n_tri * 3 + 1) * sizeof(int32_t));
    if (!head || !tri) goto nomem;
    ptr[0] = 0;
    for (Py_ssize_t x = 0; x < n; x++) {
        if (up[x].n) memcpy(head + ptr[x], up[x].a, (size_t)up[x].n * sizeof(int32_t));
        ptr[x + 1] = ptr[x] + up[x].n;
    }
    /* lower triangles, lowest node first: x < y < z with edges xy, xz and yz */
    Py_ssize_t t = 0;
    for (Py_ssize_t x = 0; x < n; x++)
        for (int64_t i = ptr[x]; i < ptr[x + 1]; i++) {
            int32_t y = head[i];
            const int32_t *row = head + ptr[y];
            Py_ssize_t len = (Py_ssize_t)(ptr[y + 1] - ptr[y]), lo = 0;
            for (int64_t j = i + 1; j < ptr[x + 1]; j++) {
                int32_t z = head[j];
                Py_ssize_t hi = len; /* rows are sorted and z only grows: search from lo */
                while (lo < hi) {
                    Py_ssize_t mid = (lo + hi) / 2;
                    if (row[mid] < z)
                        lo = mid + 1;
                    else
                        hi = mid;
                }
                if (lo >= len || row[lo] != z) {
                    PyErr_SetString(PyExc_RuntimeError, "cch_build: elimination not chordal");
                    goto done;
                }
                tri[3 * t] = (int32_t)i;
                tri[3 * t + 1] = (int32_t)j;
                tri[3 * t + 2] = (int32_t)(ptr[y] + lo);
                t++;
            }
        }
    ret = Py_BuildValue("(NNNN)", bytes_of(ptr, (n + 1) * 8),
                        bytes_of(head, total * 4), bytes_of(parent, n * 4),
                        bytes_of(tri, t * 3 * 4));
    goto done;
nomem:
    PyErr_NoMemory();
done:
    if (up)
        for (Py_ssize_t x = 0; x < n; x++) free(up[x].a);
    free(up);
    free(deg);
    free(parent);
    free(ptr);
    free(head);
    free(tri);
    rel(&bu), rel(&bv);
    return ret;
}

PyObject *cch_customise(PyObject *self, PyObject *args) {
    PyObject *o_tri, *o_w;
    if (!PyArg_ParseTuple(args, "OO", &o_tri, &o_w)) return NULL;
    Buf bt = {0}, bw = {0};
    PyObject *ret = NULL;
    if (get_buf(o_tri, &bt, "i", 4, 0, "tri") || get_buf(o_w, &bw, "d", 8, 1, "w")) goto done;
    Py_ssize_t e = LEN(bw, 8) / 2, nt = LEN(bt, 4) / 3;
    if (LEN(bw, 8) != 2 * e || LEN(bt, 4) != 3 * nt) {
        PyErr_SetString(PyExc_ValueError, "cch_customise: inconsistent array lengths");
        goto done;
    }
    const int32_t *tri = bt.view.buf;
    double *w = bw.view.buf;
    int bad = 0;
    Py_BEGIN_ALLOW_THREADS;
    for (Py_ssize_t t = 0; t < nt; t++) {
        uint32_t a = (uint32_t)tri[3 * t], b = (uint32_t)tri[3 * t + 1],
                 c = (uint32_t)tri[3 * t + 2];
        if (a >= (uint32_t)e || b >= (uint32_t)e || c >= (uint32_t)e) {
            bad = 1;
            break;
        }
        /* y -> x -> z climbs c, z -> x -> y descends it */
        double via = w[2 * a + 1] + w[2 * b];
        if (via < w[2 * c]) w[2 * c] = via;
        via = w[2 * b + 1] + w[2 * a];
        if (via < w[2 * c + 1]) w[2 * c + 1] = via;
    }
    Py_END_ALLOW_THREADS;
    if (bad) {
        PyErr_SetString(PyExc_ValueError, "cch_customise: triangle edge out of range");
        goto done;
    }
    ret = Py_NewRef(Py_None);
done:
    rel(&bt), rel(&bw);
    return ret;
}

PyObject *cch_update(PyObject *self, PyObject *args) {
    PyObject *o_lower, *o_tptr, *o_tab, *o_sptr, *o_sc, *o_sof, *o_sarc, *o_sst, *o_sen, *o_slots,
        *o_base, *o_w, *o_climb, *o_aw, *o_arcs, *o_new;
    /* the triangle index (lower .. side_top), the arcs' slots (slot_of: each arc's slot or -1;
     * slot_arc[slot_start[s]:slot_end[s]]: the arcs of slot s; slots[s]: its position in base,
     * 2 * edge + descending), the metric (base, w, climb = w[0::2], arc_w: each arc's weight)
     * and the arcs given new weights */
    if (!PyArg_ParseTuple(args, "OOOOOOOOOOOOOOOO", &o_lower, &o_tptr, &o_tab, &o_sptr, &o_sc,
                          &o_sof, &o_sarc, &o_sst, &o_sen, &o_slots, &o_base, &o_w, &o_climb,
                          &o_aw, &o_arcs, &o_new))
        return NULL;
    Buf bl = {0}, btp = {0}, bta = {0}, bsp = {0}, bsc = {0}, bsof = {0}, bsarc = {0}, bsst = {0},
        bsen = {0}, bslots = {0}, bb = {0}, bw = {0}, bcl = {0}, baw = {0}, barcs = {0},
        bnew = {0};
    PyObject *ret = NULL;
    uint64_t *queued = NULL; /* bitset of the edges due for recomputing */
    IList moved = {0};        /* the edges whose weights changed, returned */
    if (get_buf(o_lower, &bl, "i", 4, 0, "lower") || get_buf(o_tptr, &btp, "i", 8, 0, "top_ptr") ||
        get_buf(o_tab, &bta, "i", 4, 0, "top_ab") || get_buf(o_sptr, &bsp, "i", 8, 0, "side_ptr") ||
        get_buf(o_sc, &bsc, "i", 4, 0, "side_top") ||
        get_buf(o_sof, &bsof, "i", 8, 0, "slot_of") || get_buf(o_sarc, &bsarc, "i", 8, 0, "slot_arc") ||
        get_buf(o_sst, &bsst, "i", 8, 0, "slot_start") || get_buf(o_sen, &bsen, "i", 8, 0, "slot_end") ||
        get_buf(o_slots, &bslots, "i", 8, 0, "slots") || get_buf(o_base, &bb, "d", 8, 1, "base") ||
        get_buf(o_w, &bw, "d", 8, 1, "w") || get_buf(o_climb, &bcl, "d", 8, 1, "climb") ||
        get_buf(o_aw, &baw, "d", 8, 1, "arc_w") || get_buf(o_arcs, &barcs, "i", 8, 0, "arcs") ||
        get_buf(o_new, &bnew, "d", 8, 0, "weights"))
        goto done;
    Py_ssize_t e = LEN(bl, 4), ntab = LEN(bta, 4), nside = LEN(bsc, 4);
    Py_ssize_t n_arcs = LEN(baw, 8), n_slots = LEN(bslots, 8), n_sarc = LEN(bsarc, 8);
    Py_ssize_t nc = LEN(barcs, 8);
    const int32_t *lower = bl.view.buf, *tab = bta.view.buf, *side = bsc.view.buf;
    const int64_t *tptr = btp.view.buf, *sptr = bsp.view.buf, *slot_of = bsof.view.buf;
    const int64_t *slot_arc = bsarc.view.buf, *sst = bsst.view.buf, *sen = bsen.view.buf;
    const int64_t *slots = bslots.view.buf, *arcs = barcs.view.buf;
    const double *nw = bnew.view.buf;
    double *base = bb.view.buf, *w = bw.view.buf, *climb = bcl.view.buf, *aw = baw.view.buf;
    if (LEN(btp, 8) != e + 1 || LEN(bsp, 8) != e + 1 || LEN(bb, 8) != 2 * e || LEN(bcl, 8) != e ||
        LEN(bw, 8) != 2 * e || tptr[0] != 0 || tptr[e] != ntab || sptr[0] != 0 ||
        sptr[e] != nside || ntab % 2 || LEN(bsof, 8) != n_arcs || LEN(bsst, 8) != n_slots ||
        LEN(bsen, 8) != n_slots || LEN(bnew, 8) != nc) {
        PyErr_SetString(PyExc_ValueError, "cch_update: inconsistent array lengths");
        goto done;
    }
    for (Py_ssize_t i = 0; i < nc; i++)
        if (arcs[i] < 0 || arcs[i] >= n_arcs || !(nw[i] >= 0)) {
            PyErr_SetString(PyExc_ValueError, "cch_update: arc out of range or bad weight");
            goto done;
        }
    Py_ssize_t nwords = (e + 63) / 64;
    queued = calloc((size_t)nwords + 1, sizeof(uint64_t));
    if (!queued) goto nomem;
    int bad = 0, oom = 0;
    Py_BEGIN_ALLOW_THREADS;
    /* the new arc weights (an arc listed twice takes its last), then each touched slot's
     * cheapest arc into base, and its edge queued */
    Py_ssize_t cur = e;
    for (Py_ssize_t i = 0; i < nc; i++) aw[arcs[i]] = nw[i];
    for (Py_ssize_t i = 0; i < nc && !bad; i++) {
        int64_t sl = slot_of[arcs[i]];
        if (sl < 0) continue; /* a loop */
        if (sl >= n_slots || sst[sl] < 0 || sst[sl] >= sen[sl] || sen[sl] > n_sarc ||
            slots[sl] < 0 || slots[sl] >= 2 * e) {
            bad = 1;
            break;
        }
        double best = INFINITY;
        for (int64_t j = sst[sl]; j < sen[sl]; j++) {
            int64_t a = slot_arc[j];
            if (a < 0 || a >= n_arcs) {
                bad = 1;
                break;
            }
            if (aw[a] < best) best = aw[a];
        }
        base[slots[sl]] = best;
        int64_t c = slots[sl] >> 1;
        queued[c >> 6] |= 1ULL << (c & 63);
        if (c < cur) cur = c;
    }
    /* Edges are numbered by their lower end's rank, and an edge above c (one c is a lower
     * side of) has a higher lower end, so a single forward sweep over a bitset of the edges
     * due for recomputing visits each after everything below it. */
    for (Py_ssize_t word = cur >> 6; word < nwords && !oom && !bad;) {
        uint64_t bits = queued[word];
        if (!bits) {
            word++;
            continue;
        }
        queued[word] = bits & (bits - 1); /* take the lowest */
        int64_t c = ((int64_t)word << 6) | __builtin_ctzll(bits);
        /* the index is checked where it is read (the edges recomputed), not all first */
        int64_t t0 = tptr[c], t1 = tptr[c + 1], s0 = sptr[c], s1 = sptr[c + 1];
        if (t0 < 0 || t1 > ntab || t0 > t1 || (t0 & 1) || s0 < 0 || s1 > nside || s0 > s1) {
            bad = 1;
            break;
        }
        double up = base[2 * c], down = base[2 * c + 1];
        for (int64_t t = t0; t < t1; t += 2) {
            uint32_t a = (uint32_t)tab[t], b = (uint32_t)tab[t + 1];
            if (a >= (uint32_t)e || b >= (uint32_t)e) {
                bad = 1;
                break;
            }
            double via = w[2 * a + 1] + w[2 * b];
            if (via < up) up = via;
            via = w[2 * b + 1] + w[2 * a];
            if (via < down) down = via;
        }
        if (bad) break; /* nothing written from a partial minimum */
        if (up == w[2 * c] && down == w[2 * c + 1]) continue;
        w[2 * c] = up;
        w[2 * c + 1] = down;
        climb[c] = up;
        int32_t c32 = (int32_t)c;
        if (append(&moved, &c32, 1)) {
            oom = 1;
            break;
        }
        for (int64_t s = s0; s < s1; s++) {
            int64_t top = side[s];
            if (top <= c || top >= e || lower[top] <= lower[c]) {
                bad = 1;
                break;
            }
            queued[top >> 6] |= 1ULL << (top & 63);
        }
    }
    Py_END_ALLOW_THREADS;
    if (oom) goto nomem;
    if (bad) {
        PyErr_SetString(PyExc_ValueError, "cch_update: malformed triangle index");
        goto done;
    }
    ret = bytes_of(moved.a, moved.n * 4);
    goto done;
nomem:
    PyErr_NoMemory();
done:
    free(moved.a);
    free(queued);
    rel(&bl), rel(&btp), rel(&bta), rel(&bsp), rel(&bsc), rel(&bsof), rel(&bsarc), rel(&bsst);
    rel(&bsen), rel(&bslots), rel(&bb), rel(&bw), rel(&bcl), rel(&baw), rel(&barcs), rel(&bnew);
    return ret;
}

PyObject *cch_query(PyObject *self, PyObject *args) {
    PyObject *o_ptr, *o_head, *o_parent, *o_w, *o_src, *o_sc, *o_dist, *o_climb = Py_None;
    int to = 0; /* 0: distances from the sources; 1: to them (the reverse graph) */
    /* climb: None or the climbing weights alone (E doubles, equal to w[0::2]), which the
     * downward sweep towards the sources reads: half the memory of the interleaved ones */
    if (!PyArg_ParseTuple(args, "OOOOpOOO|O", &o_ptr, &o_head, &o_parent, &o_w, &to, &o_src,
                          &o_sc, &o_dist, &o_climb))
        return NULL;
    Buf bp = {0}, bh = {0}, bpa = {0}, bw = {0}, bs = {0}, bc = {0}, bd = {0}, bcl = {0};
    PyObject *ret = NULL;
    unsigned char *mark = NULL;
    int32_t *list = NULL;
    if (get_buf(o_ptr, &bp, "i", 8, 0, "up_ptr") || get_buf(o_head, &bh, "i", 4, 0, "up_head") ||
        get_buf(o_parent, &bpa, "i", 4, 0, "parent") || get_buf(o_w, &bw, "d", 8, 0, "w") ||
        get_buf(o_src, &bs, "i", 8, 0, "src") ||
        get_buf(o_sc, &bc, "d", 8, 0, "sc") || get_buf(o_dist, &bd, "d", 8, 1, "dist"))
        goto done;
    Py_ssize_t n = LEN(bp, 8) - 1, e = LEN(bh, 4), ns = LEN(bs, 8);
    const int64_t *ptr = bp.view.buf, *src = bs.view.buf;
    const int32_t *head = bh.view.buf, *parent = bpa.view.buf;
    /* the upward sweep follows arcs away from the sources, the downward one pulls along
     * arcs towards them: climbing and descending weights, swapped for distances to them */
    const double *w1 = (const double *)bw.view.buf + (to ? 1 : 0);
    const double *w2 = (const double *)bw.view.buf + (to ? 0 : 1);
    Py_ssize_t stride2 = 2;
    if (o_climb != Py_None && to) {
        if (get_buf(o_climb, &bcl, "d", 8, 0, "climb")) goto done;
        if (LEN(bcl, 8) != LEN(bh, 4)) {
            PyErr_SetString(PyExc_ValueError, "cch_query: climb must give one weight per edge");
            goto done;
        }
        w2 = bcl.view.buf;
        stride2 = 1;
    }
    const double *sc = bc.view.buf;
    double *d = bd.view.buf;
    if (n < 0 || LEN(bpa, 4) != n || LEN(bw, 8) != 2 * e || LEN(bc, 8) != ns ||
        LEN(bd, 8) != n || ptr[0] != 0 || ptr[n] != e) {
        PyErr_SetString(PyExc_ValueError, "cch_query: inconsistent array lengths");
        goto done;
    }
    for (Py_ssize_t i = 0; i < ns; i++)
        if (src[i] < 0 || src[i] >= n) {
            PyErr_SetString(PyExc_ValueError, "cch_query: source out of range");
            goto done;
        }
    mark = calloc((size_t)n + 1, 1);
    list = malloc(((size_t)n + 1) * sizeof(int32_t));
    if (!mark || !list) {
        PyErr_NoMemory();
        goto done;
    }
    int bad = 0;
    Py_BEGIN_ALLOW_THREADS;
    for (Py_ssize_t x = 0; x < n; x++) d[x] = INFINITY;
    /* the sources' ancestors in the elimination tree: their upward search space */
    Py_ssize_t k = 0;
    for (Py_ssize_t i = 0; i < ns && !bad; i++) {
        if (sc[i] < d[src[i]]) d[src[i]] = sc[i];
        for (int64_t x = src[i]; x >= 0 && !mark[x]; x = parent[x]) {
            if (parent[x] >= n || (parent[x] >= 0 && parent[x] <= x)) { /* must climb */
                bad = 1;
                break;
            }
            mark[x] = 1;
            list[k++] = (int32_t)x;
        }
    }
    qsort(list, (size_t)k, sizeof(int32_t), cmp_i32);
    for (Py_ssize_t i = 0; i < k && !bad; i++) {
        int32_t x = list[i];
        double dx = d[x];
        if (dx == INFINITY) continue;
        if (ptr[x] < 0 || ptr[x] > ptr[x + 1] || ptr[x + 1] > e) {
            bad = 1;
            break;
        }
        for (int64_t a = ptr[x]; a < ptr[x + 1]; a++) {
            int32_t y = head[a];
            if ((uint32_t)y >= (uint32_t)n) {
                bad = 1;
                break;
            }
            double c = dx + w1[2 * a];
            if (c < d[y]) d[y] = c;
        }
    }
    /* downward: each node takes the best of its higher neighbours, highest node first */
    for (Py_ssize_t x = n - 1; !bad && x >= 0; x--) {
        double dx = d[x];
        if (ptr[x] < 0 || ptr[x] > ptr[x + 1] || ptr[x + 1] > e) {
            bad = 1;
            break;
        }
        for (int64_t a = ptr[x]; a < ptr[x + 1]; a++) {
            int32_t y = head[a];
            if ((uint32_t)y >= (uint32_t)n || y <= x) {
                bad = 1;
                break;
            }
            double c = d[y] + w2[stride2 * a];
            if (c < dx) dx = c;
        }
        d[x] = dx;
    }
    Py_END_ALLOW_THREADS;
    if (bad) {
        PyErr_SetString(PyExc_ValueError, "cch_query: malformed hierarchy");
        goto done;
    }
    ret = Py_NewRef(Py_None);
done:
    free(mark);
    free(list);
    rel(&bp), rel(&bh), rel(&bpa), rel(&bw), rel(&bs), rel(&bc), rel(&bd), rel(&bcl);
    return ret;
}
