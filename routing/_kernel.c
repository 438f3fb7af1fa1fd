/*
 * Compiled search kernels of the routing package (built by setuptools at install).
 *
 * No numpy C API: arrays are passed through the buffer protocol, results are written into
 * arrays the caller allocated (numpy in routing/_native.py checks dtypes and shapes).
 *
 *   dijkstra  Binary-heap Dijkstra on a CSR graph from several sources with entry costs to
 *             several target sets with exit costs; stops when every set's best target is
 *             final.  An optional consistent potential (A*), by landmarks or by a
 *             customisable hierarchy computed where the search goes (see below).
 *   guided    One A* search per source set towards one target set; every path found makes
 *             its states absorbing targets with the exact rest of the way, so later
 *             searches stop where they meet it (the planner's matrices).
 *   scale_arcs  Multiply some arc weights; the cheapest arc of each pair of groups they join.
 *   group_pairs  The arcs between groups of states ordered by (from, to) group.
 *   trace     The arc positions of the path that ends at a state, from a predecessor array.
 *   copy_at   dst[at] = src[at] for scattered indices (restoring penalised copies).
 *   boa       The label loop of bi-objective A* (BOA*) for routing/pareto.py.
 *   ch_build, ch_query  Contraction hierarchies, in _ch.c.
 *   cch_build, cch_customise, cch_update, cch_query
 *             Customisable contraction hierarchies, in _cch.c.
 */
#include "_common.h"

/* ------------------------------------------------------------------ potentials */

/*
 * Two forms of A* potential, both read per state v through its group node_of[v] and both
 * consistent lower bounds of the weight from v to the nearest target (INFINITY where v
 * provably cannot reach one):
 *
 * ALT (landmarks, triangle inequality) on the graph of groups, the tuple
 * (node_of, lf, lb, target_groups, exit_costs, L): lf[g * L + l] is the distance from
 * landmark l to group g and lb[g * L + l] from g to landmark l (INFINITY where none), tgc[T]
 * the least exit cost at target group tg[T].  Each term is a potential difference.  With one
 * pseudo landmark whose lf is INFINITY everywhere it reads lb[g] - lb[dummy] as a table.
 *
 * Hierarchy (exact distance on the graph of groups, computed where the search asks), the
 * tuple ("cch", node_of, up_ptr, up_head, parent, w, climb, target_ranks, exit_costs, dist,
 * flag, stack): node_of[v] is the rank of v's group in a customisable contraction hierarchy
 * (routing/customisable.py) and the others its upward edges (CSR by rank), elimination-tree
 * parents, customised weights (w[2e] climbing, w[2e + 1] descending) and climb = w[0::2].
 * It is PHAST (see _cch.c) made lazy: the upward sweep from the targets runs when the search
 * begins; a group's distance is the best of its upward value and its higher neighbours'
 * distances plus the edge, and its higher neighbours are all elimination-tree ancestors, so
 * a group's distance is computed after those of its uncomputed ancestors, highest first, the
 * first time a search reaches one of its states.  Only the ancestors of the groups a search
 * reaches are computed (on the default network ~2-5 % of the supergraph's edges for a
 * penalised round of the alternatives, against all of them for a full sweep).  dist (float64
 * per group), flag (uint8 per group) and stack (int32 per group) are scratch; flag is zeroed
 * when the search begins.
 */
#define HEUR_SHRINK (1.0 - 1e-9)
/* Two path weights closer than this (relative) count as a tie in guided: the weight of a
 * path of ~1,000 arcs summed in another order (forwards, or a rest summed backwards) differs
 * by up to ~1,000 roundings of 1.1e-16 each, ~1e-13; ten times that margin. */
#define TIE_REL 1e-12
/* flag bits of the hierarchy form: an ancestor of a target (dist holds its upward value),
 * and final (dist holds its distance) */
#define LZ_UP 1
#define LZ_DONE 2
#define HEUR_BUFS 11

typedef struct {
    const int64_t *nof, *tg;
    const double *lf, *lb, *tgc;
    Py_ssize_t L, ntg, n_groups;
    /* the hierarchy form */
    int lazy;
    const int64_t *ptr;
    const int32_t *head, *parent;
    const double *w, *climb;
    double *d;
    unsigned char *flag;
    int32_t *stack;
    Py_ssize_t E;
    int bad; /* a state's group was out of range: the search is abandoned with an error */
    Buf b[HEUR_BUFS];
} Heur;

static void heur_release(Heur *H) {
    for (int i = 0; i < HEUR_BUFS; i++) rel(&H->b[i]);
}

/* The hierarchy form: compute the distance of group x and of its uncomputed ancestors,
 * highest first (the computed ones are closed under taking ancestors). */
static void lazy_fill(Heur *H, int32_t x) {
    Py_ssize_t k = 0, G = H->n_groups;
    for (int32_t y = x; y >= 0 && !(H->flag[y] & LZ_DONE); y = H->parent[y]) {
        int32_t p = H->parent[y];
        if (p >= G || (p >= 0 && p <= y) || k >= G) { /* parents must climb */
            H->bad = 1;
            return;
        }
        H->stack[k++] = y;
    }
    while (k > 0) {
        int32_t z = H->stack[--k];
        double dz = (H->flag[z] & LZ_UP) ? H->d[z] : INFINITY;
        int64_t lo = H->ptr[z], hi = H->ptr[z + 1];
        if (lo < 0 || lo > hi || hi > H->E) {
            H->bad = 1;
            return;
        }
        for (int64_t a = lo; a < hi; a++) {
            int32_t y = H->head[a];
            /* a higher neighbour is an ancestor, so already final */
            if ((uint32_t)y >= (uint32_t)G || y <= z || !(H->flag[y] & LZ_DONE)) {
                H->bad = 1;
                return;
            }
            double c = H->d[y] + H->climb[a];
            if (c < dz) dz = c;
        }
        H->d[z] = dz;
        H->flag[z] |= LZ_DONE;
    }
}

/* The hierarchy form, when a search begins: flags cleared, then the upward sweep from the
 * targets over their elimination-tree ancestors (in rank order) along descending weights. */
static void lazy_begin(Heur *H) {
    Py_ssize_t G = H->n_groups, k = 0;
    memset(H->flag, 0, (size_t)G);
    for (Py_ssize_t T = 0; T < H->ntg && !H->bad; T++) {
        for (int64_t x = H->tg[T]; x >= 0 && !(H->flag[x] & LZ_UP); x = H->parent[x]) {
            int32_t p = H->parent[x];
            if (p >= G || (p >= 0 && p <= x)) {
                H->bad = 1;
                break;
            }
            H->flag[x] |= LZ_UP;
            H->d[x] = INFINITY;
            H->stack[k++] = (int32_t)x;
        }
        if (!H->bad && H->tgc[T] < H->d[H->tg[T]]) H->d[H->tg[T]] = H->tgc[T];
    }
    qsort(H->stack, (size_t)k, sizeof(int32_t), cmp_i32);
    for (Py_ssize_t i = 0; i < k && !H->bad; i++) {
        int32_t x = H->stack[i];
        double dx = H->d[x];
        int64_t lo = H->ptr[x], hi = H->ptr[x + 1];
        if (lo < 0 || lo > hi || hi > H->E) {
            H->bad = 1;
            break;
        }
        if (dx == INFINITY) continue;
        for (int64_t a = lo; a < hi; a++) {
            int32_t y = H->head[a];
            if ((uint32_t)y >= (uint32_t)G || y <= x || !(H->flag[y] & LZ_UP)) {
                H->bad = 1;
                break;
            }
            double c = dx + H->w[2 * a + 1];
            if (c < H->d[y]) H->d[y] = c;
        }
    }
}

static inline double heur(Heur *H, int64_t v) {
    Py_ssize_t L = H->L;
    int64_t g = H->nof[v];
    if ((uint64_t)g >= (uint64_t)H->n_groups) { /* checked here, for the states reached */
        H->bad = 1;
        return INFINITY;
    }
    if (H->lazy) {
        if (!(H->flag[g] & LZ_DONE)) lazy_fill(H, (int32_t)g);
        /* shrunk as below; INFINITY stays */
        return H->bad ? INFINITY : H->d[g] * HEUR_SHRINK;
    }
    const double *fv = H->lf + g * L, *bv = H->lb + g * L;
    double best = INFINITY;
    for (Py_ssize_t T = 0; T < H->ntg; T++) {
        const double *ft = H->lf + H->tg[T] * L, *bt = H->lb + H->tg[T] * L;
        double h = 0.0;
        for (Py_ssize_t l = 0; l < L; l++) {
            double a = ft[l], b = fv[l];
            if (a == INFINITY) {
                if (b < INFINITY) {
                    h = INFINITY;
                    break;
                }
            } else if (b < INFINITY && a - b > h)
                h = a - b;
            double c = bv[l], e = bt[l];
            if (e < INFINITY) {
                if (c == INFINITY) {
                    h = INFINITY;
                    break;
                }
                if (c - e > h) h = c - e;
            }
        }
        h += H->tgc[T];
        if (h < best) best = h;
    }
    /* shrunk by a relative margin far above rounding, so that the potential stays
     * consistent in floating point and the search exact to the last bit */
    return best * HEUR_SHRINK;
}

/* Call when a search begins (without the GIL): the hierarchy form's upward sweep. */
static void heur_begin(Heur *H) {
    if (H->lazy) lazy_begin(H);
}

/* The potential's arrays from either tuple, checked against n states; -1 with an exception
 * set if they do not fit.  heur_release(H) afterwards in any case. */
static int heur_parse(PyObject *o, Heur *H, Py_ssize_t n, const char *who) {
    Buf *b = H->b;
    int bad;
    if (PyTuple_Check(o) && PyTuple_GET_SIZE(o) == 12) {
        PyObject *x[12];
        for (int i = 0; i < 12; i++) x[i] = PyTuple_GET_ITEM(o, i);
        if (!PyUnicode_Check(x[0]) || PyUnicode_CompareWithASCIIString(x[0], "cch")) {
            PyErr_Format(PyExc_ValueError, "%s: unknown potential", who);
            return -1;
        }
        if (get_buf(x[1], &b[0], "i", 8, 0, "node_of") || get_buf(x[2], &b[1], "i", 8, 0, "up_ptr") ||
            get_buf(x[3], &b[2], "i", 4, 0, "up_head") || get_buf(x[4], &b[3], "i", 4, 0, "parent") ||
            get_buf(x[5], &b[4], "d", 8, 0, "w") || get_buf(x[6], &b[5], "d", 8, 0, "climb") ||
            get_buf(x[7], &b[6], "i", 8, 0, "target_ranks") ||
            get_buf(x[8], &b[7], "d", 8, 0, "exit_costs") || get_buf(x[9], &b[8], "d", 8, 1, "dist") ||
            get_buf(x[10], &b[9], "b", 1, 1, "flag") || get_buf(x[11], &b[10], "i", 4, 1, "stack"))
            return -1;
        Py_ssize_t G = LEN(b[3], 4), E = LEN(b[2], 4);
        H->lazy = 1;
        H->nof = b[0].view.buf, H->ptr = b[1].view.buf, H->head = b[2].view.buf;
        H->parent = b[3].view.buf, H->w = b[4].view.buf, H->climb = b[5].view.buf;
        H->tg = b[6].view.buf, H->tgc = b[7].view.buf, H->d = b[8].view.buf;
        H->flag = b[9].view.buf, H->stack = b[10].view.buf;
        H->ntg = LEN(b[6], 8), H->n_groups = G, H->E = E;
        bad = LEN(b[0], 8) != n || LEN(b[1], 8) != G + 1 || H->ptr[0] != 0 || H->ptr[G] != E ||
              LEN(b[4], 8) != 2 * E || LEN(b[5], 8) != E || LEN(b[7], 8) != H->ntg ||
              LEN(b[8], 8) < G || LEN(b[9], 1) < G || LEN(b[10], 4) < G;
        for (Py_ssize_t T = 0; !bad && T < H->ntg; T++)
            bad = H->tg[T] < 0 || H->tg[T] >= G || !(H->tgc[T] >= 0);
    } else {
        PyObject *a, *c, *e, *f, *g;
        if (!PyTuple_Check(o) || !PyArg_ParseTuple(o, "OOOOOn", &a, &c, &e, &f, &g, &H->L) ||
            get_buf(a, &b[0], "i", 8, 0, "node_of") || get_buf(c, &b[1], "d", 8, 0, "lf") ||
            get_buf(e, &b[2], "d", 8, 0, "lb") || get_buf(f, &b[3], "i", 8, 0, "tg") ||
            get_buf(g, &b[4], "d", 8, 0, "tgc"))
            return -1;
        H->nof = b[0].view.buf, H->lf = b[1].view.buf, H->lb = b[2].view.buf;
        H->tg = b[3].view.buf, H->tgc = b[4].view.buf, H->ntg = LEN(b[3], 8);
        Py_ssize_t n_groups = H->L > 0 ? LEN(b[1], 8) / H->L : 0;
        bad = H->L < 1 || LEN(b[0], 8) != n || LEN(b[4], 8) != H->ntg ||
              LEN(b[2], 8) != LEN(b[1], 8) || H->L * n_groups != LEN(b[1], 8);
        for (Py_ssize_t T = 0; !bad && T < H->ntg; T++)
            bad = H->tg[T] < 0 || H->tg[T] >= n_groups;
        H->n_groups = n_groups;
    }
    if (bad) {
        PyErr_Format(PyExc_ValueError, "%s: inconsistent heuristic arrays", who);
        return -1;
    }
    return 0;
}

/* The caller's scratch (hop counts int64[n], flags uint8[n + 1], heap bytes) from the tuple
 * (hop, flag, heap); -1 with an exception set if it does not fit n states. */
static int ws_parse(PyObject *o, Buf *hop, Buf *flag, Buf *heap, Py_ssize_t n, const char *who) {
    PyObject *a, *b, *c;
    if (!PyTuple_Check(o) || !PyArg_ParseTuple(o, "OOO", &a, &b, &c) ||
        get_buf(a, hop, "i", 8, 1, "ws hop") || get_buf(b, flag, "b", 1, 1, "ws flag") ||
        get_buf(c, heap, "b", 1, 1, "ws heap"))
        return -1;
    if (LEN(*hop, 8) < n || LEN(*flag, 1) < n + 1) {
        PyErr_Format(PyExc_ValueError, "%s: workspace too small", who);
        return -1;
    }
    return 0;
}

/* Make dist infinite and pred -1 at every state, knowing that they already are but at
 * touched[:count] when 0 <= count <= n (the clean protocol of dijkstra and guided); any other
 * count means unknown, and every state is reset. */
static void clean_reset(double *d, int64_t *pr, const int64_t *touched, int64_t count,
                        Py_ssize_t n) {
    if (touched && count >= 0 && count <= n) {
        for (int64_t i = 0; i < count; i++) {
            int64_t v = touched[i];
            if (v >= 0 && v < n) {
                d[v] = INFINITY;
                pr[v] = -1;
            }
        }
        return;
    }
    for (Py_ssize_t i = 0; i < n; i++) {
        d[i] = INFINITY;
        pr[i] = -1;
    }
}

/* ------------------------------------------------------------------ dijkstra */

static PyObject *k_dijkstra(PyObject *self, PyObject *args) {
    PyObject *o_indptr, *o_head, *o_w, *o_src, *o_sc, *o_tgt, *o_tc, *o_tset, *o_heur, *o_dist,
        *o_pred, *o_best;
    Py_ssize_t n_sets;
    double limit;
    /* prune_f: with a heuristic, leave out states whose key (distance + potential) exceeds
     * limit; the potential is a lower bound, so no path within limit passes them */
    int prune_f = 0;
    /* ws: None or the caller's scratch (hop counts int64[n], flags uint8[n + 1], heap
     * bytes), reused from search to search: fresh memory of that size costs more to map
     * than a short search takes */
    PyObject *o_ws = Py_None;
    /* clean: None or (touched int64[n], count int64[1]): dist and pred are infinite and -1
     * except at touched[:count] (count < 0: unknown), so only those are reset, not every
     * state; on return they list the settled states */
    PyObject *o_clean = Py_None;
    if (!PyArg_ParseTuple(args, "OOOOOOOOndOOOO|pOO", &o_indptr, &o_head, &o_w, &o_src, &o_sc,
                          &o_tgt, &o_tc, &o_tset, &n_sets, &limit, &o_heur, &o_dist, &o_pred,
                          &o_best, &prune_f, &o_ws, &o_clean))
        return NULL;
    Buf indptr = {0}, head = {0}, w = {0}, src = {0}, sc = {0}, tgt = {0}, tc = {0}, tset = {0},
        dist = {0}, pred = {0}, best = {0}, whop = {0}, wflag = {0}, wheap = {0}, ctouch = {0}, ccount = {0};
    int use_ws = o_ws != Py_None, use_clean = o_clean != Py_None;
    int64_t *touched = NULL, *count = NULL;
    PyObject *ret = NULL;
    unsigned char *flag = NULL;
    int64_t *hop = NULL;
    Heap heap = {0};
    double *setbest = NULL;
    Heur H = {0};
    if (get_buf(o_indptr, &indptr, "i", 8, 0, "indptr") || get_buf(o_head, &head, "i", 4, 0, "head") ||
        get_buf(o_w, &w, "d", 8, 0, "w") || get_buf(o_src, &src, "i", 8, 0, "src") ||
        get_buf(o_sc, &sc, "d", 8, 0, "sc") || get_buf(o_tgt, &tgt, "i", 8, 0, "tgt") ||
        get_buf(o_tc, &tc, "d", 8, 0, "tc") || get_buf(o_tset, &tset, "i", 8, 0, "tset") ||
        get_buf(o_dist, &dist, "d", 8, 1, "dist") || get_buf(o_pred, &pred, "i", 8, 1, "pred") ||
        get_buf(o_best, &best, "i", 8, 1, "best"))
        goto done;
    int use_h = o_heur != Py_None;
    Py_ssize_t n = LEN(indptr, 8) - 1, ns = LEN(src, 8), nt = LEN(tgt, 8);
    if (use_h && heur_parse(o_heur, &H, n, "dijkstra")) goto done;
    const int64_t *ip = indptr.view.buf;
    const int32_t *hd = head.view.buf;
    const double *wt = w.view.buf;
    const int64_t *sv = src.view.buf, *tv = tgt.view.buf, *ts = tset.view.buf;
    const double *scv = sc.view.buf, *tcv = tc.view.buf;
    double *d = dist.view.buf;
    int64_t *pr = pred.view.buf, *bt = best.view.buf;
    if (LEN(dist, 8) != n || LEN(pred, 8) != n || LEN(best, 8) != n_sets || LEN(sc, 8) != ns ||
        LEN(tc, 8) != nt || LEN(tset, 8) != nt || LEN(w, 8) != LEN(head, 4)) {
        PyErr_SetString(PyExc_ValueError, "dijkstra: inconsistent array lengths");
        goto done;
    }
    /* flag bit 1: settled, bit 2: a target */
    if (use_ws) {
        if (ws_parse(o_ws, &whop, &wflag, &wheap, n, "dijkstra")) goto done;
        hop = whop.view.buf;
        flag = wflag.view.buf;
        memset(flag, 0, (size_t)n + 1);
        heap.a = wheap.view.buf;
        heap.cap = LEN(wheap, 1) / (Py_ssize_t)sizeof(HItem);
        heap.borrowed = 1;
    } else {
        flag = calloc((size_t)n + 1, 1);
        hop = malloc(((size_t)n + 1) * sizeof(int64_t));
    }
    setbest = malloc(((size_t)n_sets + 1) * sizeof(double));
    if (!flag || !hop || !setbest) {
        PyErr_NoMemory();
        goto done;
    }
    if (use_clean) {
        PyObject *a, *b;
        if (!PyTuple_Check(o_clean) || !PyArg_ParseTuple(o_clean, "OO", &a, &b) ||
            get_buf(a, &ctouch, "i", 8, 1, "touched") || get_buf(b, &ccount, "i", 8, 1, "count"))
            goto done;
        if (LEN(ctouch, 8) < n || LEN(ccount, 8) < 1) {
            PyErr_SetString(PyExc_ValueError, "dijkstra: touched list too small");
            goto done;
        }
        touched = ctouch.view.buf;
        count = ccount.view.buf;
    }
    clean_reset(d, pr, touched, use_clean ? count[0] : -1, n);
    if (use_clean) count[0] = -1; /* until the search has finished */
    for (Py_ssize_t s = 0; s < n_sets; s++) {
        setbest[s] = INFINITY;
        bt[s] = -1;
    }
    for (Py_ssize_t j = 0; j < nt; j++) {
        if (tv[j] < 0 || tv[j] >= n || ts[j] < 0 || ts[j] >= n_sets) {
            PyErr_SetString(PyExc_ValueError, "dijkstra: target out of range");
            goto done;
        }
        flag[tv[j]] |= 2;
    }
    Py_ssize_t settled = 0, open_sets = n_sets;
    double maxbest = INFINITY;
    Py_BEGIN_ALLOW_THREADS;
    if (use_h) heur_begin(&H);
    for (Py_ssize_t i = 0; i < ns; i++) {
        int64_t v = sv[i];
        if (v < 0 || v >= n) continue;
        if (scv[i] < d[v] && scv[i] <= limit) {
            double hv = use_h ? heur(&H, v) : 0.0;
            if (hv == INFINITY || (prune_f && scv[i] + hv > limit)) continue;
            d[v] = scv[i];
            hop[v] = 0;
            if (heap_push(&heap, scv[i] + hv, 0, v)) {
                settled = -1;
                break;
            }
        }
    }
    int64_t stopped_at = -1; /* a state popped but left unsettled by the stopping rule */
    while (settled >= 0 && heap.n && !H.bad) {
        HItem it = heap_pop(&heap);
        int64_t v = it.node;
        if (flag[v] & 1) continue;
        if (n_sets && open_sets == 0 && it.key >= maxbest) {
            stopped_at = v;
            break;
        }
        flag[v] |= 1;
        if (use_clean) touched[settled] = v;
        settled++;
        double dv = d[v];
        if (flag[v] & 2) {
            int changed = 0;
            for (Py_ssize_t j = 0; j < nt; j++) {
                if (tv[j] != v) continue;
                double tot = dv + tcv[j];
                int64_t s = ts[j];
                if (tot < setbest[s]) {
                    if (setbest[s] == INFINITY) open_sets--;
                    setbest[s] = tot;
                    bt[s] = j;
                    changed = 1;
                }
            }
            if (changed && open_sets == 0) {
                maxbest = -INFINITY;
                for (Py_ssize_t s = 0; s < n_sets; s++)
                    if (setbest[s] > maxbest) maxbest = setbest[s];
                /* the next pops may still improve a set whose best is above their key */
            }
        }
        for (int64_t a = ip[v]; a < ip[v + 1]; a++) {
            int64_t u = hd[a];
            if (flag[u] & 1) continue;
            double nd = dv + wt[a];
            int64_t nh = hop[v] + 1;
            if ((nd < d[u] || (nd == d[u] && nh < hop[u])) && nd <= limit) {
                double hu = 0.0;
                if (use_h) {
                    hu = heur(&H, u);
                    if (hu == INFINITY || (prune_f && nd + hu > limit)) continue;
                }
                d[u] = nd;
                hop[u] = nh;
                pr[u] = a;
                if (heap_push(&heap, nd + hu, nh, u)) {
                    settled = -1;
                    break;
                }
            }
        }
    }
    /* only settled states keep their distance: a reached but unsettled state has its
     * latest entry still in the heap (or is the one the stopping rule popped), so the
     * heap, not the whole array, is what needs resetting */
    if (settled >= 0) {
        for (Py_ssize_t i = 0; i < heap.n; i++) {
            int64_t v = heap.a[i].node;
            if (!(flag[v] & 1)) {
                d[v] = INFINITY;
                pr[v] = -1;
            }
        }
        if (stopped_at >= 0 && !(flag[stopped_at] & 1)) {
            d[stopped_at] = INFINITY;
            pr[stopped_at] = -1;
        }
    }
    Py_END_ALLOW_THREADS;
    if (settled < 0) {
        PyErr_NoMemory();
        goto done;
    }
    if (H.bad) { /* the arrays may hold a partial search: the next one resets every state */
        PyErr_SetString(PyExc_ValueError, "dijkstra: inconsistent heuristic arrays");
        goto done;
    }
    if (use_clean) count[0] = settled;
    ret = PyLong_FromSsize_t(settled);
done:
    if (!use_ws) {
        free(flag);
        free(hop);
    }
    free(setbest);
    if (!heap.borrowed) free(heap.a);
    rel(&indptr), rel(&head), rel(&w), rel(&src), rel(&sc), rel(&tgt), rel(&tc), rel(&tset);
    heur_release(&H), rel(&dist), rel(&pred), rel(&best);
    rel(&whop), rel(&wflag), rel(&wheap), rel(&ctouch), rel(&ccount);
    return ret;
}

/* ------------------------------------------------------------------ scale arcs */

/* scale_arcs(w, positions, factor, pair_of, starts, ends, order, mark) -> (pairs, minima)
 *
 * Multiplies w[positions] by a finite factor >= 0 (once per listing: the caller lists
 * distinct arcs), then returns the distinct pairs of groups those arcs join (pair_of[p], -1 inside a group;
 * first-seen order) and each pair's cheapest arc weight after the change (over its arcs
 * order[starts[k]:ends[k]]), as the bytes of int64 and float64 arrays.  mark (uint8, one per
 * pair) is scratch, zero on entry and again on return.  Nothing is written when the pair
 * structure is malformed (an error). */
static PyObject *k_scale_arcs(PyObject *self, PyObject *args) {
    PyObject *o_w, *o_pos, *o_pof, *o_st, *o_en, *o_ord, *o_mark;
    double factor;
    if (!PyArg_ParseTuple(args, "OOdOOOOO", &o_w, &o_pos, &factor, &o_pof, &o_st, &o_en, &o_ord,
                          &o_mark))
        return NULL;
    Buf bw = {0}, bp = {0}, bpo = {0}, bs = {0}, be = {0}, bo = {0}, bm = {0};
    PyObject *ret = NULL;
    int64_t *pairs = NULL;
    double *minima = NULL;
    Py_ssize_t k = 0;
    if (get_buf(o_w, &bw, "d", 8, 1, "w") || get_buf(o_pos, &bp, "i", 8, 0, "positions") ||
        get_buf(o_pof, &bpo, "i", 4, 0, "pair_of") || get_buf(o_st, &bs, "i", 4, 0, "starts") ||
        get_buf(o_en, &be, "i", 4, 0, "ends") || get_buf(o_ord, &bo, "i", 4, 0, "order") ||
        get_buf(o_mark, &bm, "b", 1, 1, "mark"))
        goto done;
    Py_ssize_t m = LEN(bw, 8), np_ = LEN(bp, 8), n_pairs = LEN(bs, 4), n_ord = LEN(bo, 4);
    double *w = bw.view.buf;
    const int64_t *pos = bp.view.buf;
    const int32_t *pof = bpo.view.buf, *st = bs.view.buf, *en = be.view.buf, *ord = bo.view.buf;
    unsigned char *mark = bm.view.buf;
    if (LEN(bpo, 4) != m || LEN(be, 4) != n_pairs || LEN(bm, 1) < n_pairs || !(factor >= 0) ||
        !isfinite(factor)) {
        PyErr_SetString(PyExc_ValueError, "scale_arcs: inconsistent arrays");
        goto done;
    }
    for (Py_ssize_t i = 0; i < np_; i++)
        if (pos[i] < 0 || pos[i] >= m) {
            PyErr_SetString(PyExc_ValueError, "scale_arcs: arc position out of range");
            goto done;
        }
    pairs = malloc(((size_t)np_ + 1) * sizeof(int64_t));
    minima = malloc(((size_t)np_ + 1) * sizeof(double));
    if (!pairs || !minima) {
        PyErr_NoMemory();
        goto done;
    }
    int bad = 0;
    Py_BEGIN_ALLOW_THREADS;
    /* the distinct pairs, their structure checked before anything is written */
    for (Py_ssize_t i = 0; i < np_ && !bad; i++) {
        int32_t p = pof[pos[i]];
        if (p < 0) continue;
        if (p >= n_pairs) {
            bad = 1;
            break;
        }
        if (mark[p]) continue;
        mark[p] = 1;
        pairs[k++] = p;
        int32_t a = st[p], b = en[p];
        if (a < 0 || a >= b || b > n_ord) {
            bad = 1;
            break;
        }
        for (int32_t j = a; j < b; j++)
            if (ord[j] < 0 || ord[j] >= m) {
                bad = 1;
                break;
            }
    }
    if (!bad) {
        for (Py_ssize_t i = 0; i < np_; i++) w[pos[i]] *= factor;
        for (Py_ssize_t i = 0; i < k; i++) {
            double best = INFINITY;
            for (int32_t j = st[pairs[i]]; j < en[pairs[i]]; j++)
                if (w[ord[j]] < best) best = w[ord[j]];
            minima[i] = best;
        }
    }
    for (Py_ssize_t i = 0; i < k; i++) mark[pairs[i]] = 0;
    Py_END_ALLOW_THREADS;
    if (bad) {
        PyErr_SetString(PyExc_ValueError, "scale_arcs: malformed pair structure");
        goto done;
    }
    ret = Py_BuildValue("(NN)", bytes_of(pairs, k * (Py_ssize_t)sizeof(int64_t)),
                        bytes_of(minima, k * (Py_ssize_t)sizeof(double)));
done:
    free(pairs), free(minima);
    rel(&bw), rel(&bp), rel(&bpo), rel(&bs), rel(&be), rel(&bo), rel(&bm);
    return ret;
}

/* ------------------------------------------------------------------ group pairs */

/* group_pairs(groups, src, dst, n_groups, order, starts, ga, gb, back, pair_of) -> (k, pairs)
 *
 * The arcs between two groups (arc i from node src[i] of group groups[src[i]] to node
 * dst[i]; an arc inside a group is left out) ordered by (a, b), ties in arc order: two stable counting sorts,
 * by b then by a.  Written into the caller's int32 arrays of one entry per arc (only the
 * first k or pairs entries are used): order, the k arcs between groups; starts, where each
 * pair of groups begins in order; ga, gb, its groups; back, the pairs ordered by gb (ties
 * in pair order); pair_of, each arc's pair (-1 inside a group). */
static PyObject *k_group_pairs(PyObject *self, PyObject *args) {
    PyObject *o_grp, *o_a, *o_b, *o_out[6];
    Py_ssize_t n_g;
    if (!PyArg_ParseTuple(args, "OOOnOOOOOO", &o_grp, &o_a, &o_b, &n_g, &o_out[0], &o_out[1],
                          &o_out[2], &o_out[3], &o_out[4], &o_out[5]))
        return NULL;
    Buf bg = {0}, ba = {0}, bb = {0}, bo[6] = {{{0}}};
    static const char *names[6] = {"order", "starts", "ga", "gb", "back", "pair_of"};
    PyObject *ret = NULL;
    int64_t *cnt = NULL;
    int32_t *tmp = NULL;
    if (get_buf(o_grp, &bg, "i", 8, 0, "groups") || get_buf(o_a, &ba, "i", 8, 0, "src") ||
        get_buf(o_b, &bb, "i", 8, 0, "dst"))
        goto done;
    Py_ssize_t m = LEN(ba, 8), n = LEN(bg, 8);
    for (int j = 0; j < 6; j++)
        if (get_buf(o_out[j], &bo[j], "i", 4, 1, names[j])) goto done;
    const int64_t *grp = bg.view.buf, *src = ba.view.buf, *dst = bb.view.buf;
    int bad = LEN(bb, 8) != m || n_g < 0 || m >= INT32_MAX;
    for (int j = 0; j < 6; j++) bad |= LEN(bo[j], 4) < m;
    if (bad) {
        PyErr_SetString(PyExc_ValueError, "group_pairs: inconsistent arrays");
        goto done;
    }
    for (Py_ssize_t i = 0; i < m; i++)
        if (src[i] < 0 || src[i] >= n || dst[i] < 0 || dst[i] >= n) {
            PyErr_SetString(PyExc_ValueError, "group_pairs: node out of range");
            goto done;
        }
    for (Py_ssize_t v = 0; v < n; v++)
        if (grp[v] < 0 || grp[v] >= n_g) {
            PyErr_SetString(PyExc_ValueError, "group_pairs: group out of range");
            goto done;
        }
#define A(i) grp[src[i]]
#define B(i) grp[dst[i]]
    int32_t *order = bo[0].view.buf, *starts = bo[1].view.buf, *ga = bo[2].view.buf;
    int32_t *gb = bo[3].view.buf, *back = bo[4].view.buf, *pair_of = bo[5].view.buf;
    cnt = malloc(((size_t)n_g + 1) * sizeof(int64_t));
    tmp = malloc(((size_t)m + 1) * sizeof(int32_t));
    if (!cnt || !tmp) {
        PyErr_NoMemory();
        goto done;
    }
    Py_ssize_t k = 0, np_ = 0;
    Py_BEGIN_ALLOW_THREADS;
    /* by b: counts, then each arc (between groups) to its slot, in arc order */
    memset(cnt, 0, ((size_t)n_g + 1) * sizeof(int64_t));
    for (Py_ssize_t i = 0; i < m; i++)
        if (A(i) != B(i)) cnt[B(i) + 1]++;
    for (Py_ssize_t g = 0; g < n_g; g++) cnt[g + 1] += cnt[g];
    for (Py_ssize_t i = 0; i < m; i++)
        if (A(i) != B(i)) tmp[cnt[B(i)]++] = (int32_t)i;
    k = n_g ? cnt[n_g - 1] : 0; /* arcs between groups */
    /* then by a, stable */
    memset(cnt, 0, ((size_t)n_g + 1) * sizeof(int64_t));
    for (Py_ssize_t j = 0; j < k; j++) cnt[A(tmp[j]) + 1]++;
    for (Py_ssize_t g = 0; g < n_g; g++) cnt[g + 1] += cnt[g];
    for (Py_ssize_t j = 0; j < k; j++) order[cnt[A(tmp[j])]++] = tmp[j];
    for (Py_ssize_t i = 0; i < m; i++) pair_of[i] = -1;
    for (Py_ssize_t j = 0; j < k; j++) {
        int32_t i = order[j];
        if (j == 0 || A(i) != A(order[j - 1]) || B(i) != B(order[j - 1])) {
            starts[np_] = (int32_t)j;
            ga[np_] = (int32_t)A(i);
            gb[np_] = (int32_t)B(i);
            np_++;
        }
        pair_of[i] = (int32_t)(np_ - 1);
    }
    /* the pairs by gb, stable */
    memset(cnt, 0, ((size_t)n_g + 1) * sizeof(int64_t));
    for (Py_ssize_t q = 0; q < np_; q++) cnt[gb[q] + 1]++;
    for (Py_ssize_t g = 0; g < n_g; g++) cnt[g + 1] += cnt[g];
    for (Py_ssize_t q = 0; q < np_; q++) back[cnt[gb[q]]++] = (int32_t)q;
    Py_END_ALLOW_THREADS;
#undef A
#undef B
    ret = Py_BuildValue("(nn)", k, np_);
done:
    free(cnt), free(tmp);
    rel(&bg), rel(&ba), rel(&bb);
    for (int j = 0; j < 6; j++) rel(&bo[j]);
    return ret;
}

/* ------------------------------------------------------------------ guided */

/* A growable array of int64 (the paths' arcs). */
typedef struct {
    int64_t *a;
    Py_ssize_t n, cap;
} I64Vec;

static int ivec_push(I64Vec *v, int64_t x) {
    if (v->n == v->cap) {
        Py_ssize_t cap = v->cap ? 2 * v->cap : 4096;
        int64_t *a = realloc(v->a, (size_t)cap * sizeof(int64_t));
        if (!a) return -1;
        v->a = a;
        v->cap = cap;
    }
    v->a[v->n++] = x;
    return 0;
}

/* guided(indptr, head, w, tail, heur, tgt, tc, set_ptr, src, sc, dist, pred, clean, ws,
 *        known, rest, nxt, rhop)
 *   -> (arcs, path_ptr, first, last, cost) as bytes of int64 / int64 / int64 / int64 / double
 *
 * For each source set k (states src[set_ptr[k]:set_ptr[k+1]], entry costs sc), the cheapest
 * path to the targets tgt (exit costs tc): A* with the potential heur (consistent, as for
 * dijkstra).  Every state on a path found is from then on known with the exact weight of the
 * rest of that path (a sub-path of a cheapest path is a cheapest path) and the path's next
 * arc: a later search that settles such a state has a complete candidate there and does not
 * expand it, so it stops where it meets an earlier path.  Targets themselves are expanded
 * (a path may pass one towards a cheaper exit).
 *
 * Per set: its arcs (CSR positions, source to target) are arcs[path_ptr[k]:path_ptr[k+1]],
 * first/last its first and final states and cost its weight with entry and exit costs; last
 * is -1 and cost inf when no target is reached.  dist and pred (float64, int64 per state)
 * and clean = (touched int64[n], count int64[1]) follow dijkstra's clean protocol (reset at
 * touched[:count] on entry; clean everywhere on return, count 0); ws (hop, flag, heap as for dijkstra) are scratch; so are rest, nxt and rhop (float64,
 * int64, int64 per state) and known (uint8 per state), which must be zero on entry and is
 * again on return.
 *
 * Among paths of equal weight (to TIE_REL) the one with the fewest arcs is taken, counting a
 * known state's rest of the way (rhop), so that a set's path does not depend on which paths
 * the sets before it laid down (a known state is not expanded: without the count, the
 * first candidate met would win a tie). */
static PyObject *k_guided(PyObject *self, PyObject *args) {
    PyObject *o_indptr, *o_head, *o_w, *o_tail, *o_heur, *o_tgt, *o_tc, *o_ptr, *o_src, *o_sc,
        *o_dist, *o_pred, *o_clean, *o_ws, *o_known, *o_rest, *o_nxt, *o_rhop;
    if (!PyArg_ParseTuple(args, "OOOOOOOOOOOOOOOOOO", &o_indptr, &o_head, &o_w, &o_tail,
                          &o_heur, &o_tgt, &o_tc, &o_ptr, &o_src, &o_sc, &o_dist, &o_pred,
                          &o_clean, &o_ws, &o_known, &o_rest, &o_nxt, &o_rhop))
        return NULL;
    Buf indptr = {0}, head = {0}, w = {0}, tail = {0}, tgt = {0}, tc = {0}, sptr = {0},
        src = {0}, sc = {0}, dist = {0}, pred = {0}, touch = {0}, ccount = {0}, whop = {0}, wflag = {0}, wheap = {0}, bknown = {0},
        brest = {0}, bnxt = {0}, brhop = {0};
    Heur H = {0};
    Heap heap = {0};
    I64Vec arcs = {0}, marked = {0}; /* marked: the states made known, to clear at the end */
    unsigned char *known = NULL; /* 1: a target, 2: on a path found (absorbing) */
    double *rest = NULL;
    int64_t *nxt = NULL, *rhop = NULL, *out_ptr = NULL, *out_first = NULL, *out_last = NULL;
    double *out_cost = NULL;
    PyObject *ret = NULL;
    if (get_buf(o_indptr, &indptr, "i", 8, 0, "indptr") ||
        get_buf(o_head, &head, "i", 4, 0, "head") || get_buf(o_w, &w, "d", 8, 0, "w") ||
        get_buf(o_tail, &tail, "i", 8, 0, "tail") || get_buf(o_tgt, &tgt, "i", 8, 0, "tgt") ||
        get_buf(o_tc, &tc, "d", 8, 0, "tc") || get_buf(o_ptr, &sptr, "i", 8, 0, "set_ptr") ||
        get_buf(o_src, &src, "i", 8, 0, "src") || get_buf(o_sc, &sc, "d", 8, 0, "sc") ||
        get_buf(o_dist, &dist, "d", 8, 1, "dist") || get_buf(o_pred, &pred, "i", 8, 1, "pred") ||
        !PyTuple_Check(o_clean) || PyTuple_GET_SIZE(o_clean) != 2 ||
        get_buf(PyTuple_GET_ITEM(o_clean, 0), &touch, "i", 8, 1, "touched") ||
        get_buf(PyTuple_GET_ITEM(o_clean, 1), &ccount, "i", 8, 1, "count") ||
        get_buf(o_known, &bknown, "b", 1, 1, "known") || get_buf(o_rest, &brest, "d", 8, 1, "rest") ||
        get_buf(o_nxt, &bnxt, "i", 8, 1, "nxt") || get_buf(o_rhop, &brhop, "i", 8, 1, "rhop"))
        goto done;
    Py_ssize_t n = LEN(indptr, 8) - 1, m = LEN(head, 4), nt = LEN(tgt, 8);
    Py_ssize_t n_sets = LEN(sptr, 8) - 1, ns = LEN(src, 8);
    if (n < 0 || LEN(w, 8) != m || LEN(tail, 8) != m || LEN(tc, 8) != nt || n_sets < 0 ||
        LEN(sc, 8) != ns || LEN(dist, 8) != n || LEN(pred, 8) != n || LEN(touch, 8) < n || LEN(ccount, 8) < 1 ||
        LEN(bknown, 1) < n || LEN(brest, 8) < n || LEN(bnxt, 8) < n || LEN(brhop, 8) < n) {
        PyErr_SetString(PyExc_ValueError, "guided: inconsistent array lengths");
        goto done;
    }
    if (heur_parse(o_heur, &H, n, "guided")) goto done;
    if (ws_parse(o_ws, &whop, &wflag, &wheap, n, "guided")) goto done;
    const int64_t *ip = indptr.view.buf, *tl = tail.view.buf, *tv = tgt.view.buf;
    const int64_t *pp = sptr.view.buf, *sv = src.view.buf;
    const int32_t *hd = head.view.buf;
    const double *wt = w.view.buf, *tcv = tc.view.buf, *scv = sc.view.buf;
    double *d = dist.view.buf;
    int64_t *pr = pred.view.buf, *tch = touch.view.buf, *hop = whop.view.buf;
    int64_t *cnt = ccount.view.buf;
    unsigned char *flag = wflag.view.buf; /* bit 1: settled, bit 8: reached */
    heap.a = wheap.view.buf;
    heap.cap = LEN(wheap, 1) / (Py_ssize_t)sizeof(HItem);
    heap.borrowed = 1;
    for (Py_ssize_t j = 0; j < nt; j++)
        if (tv[j] < 0 || tv[j] >= n || !(tcv[j] >= 0)) {
            PyErr_SetString(PyExc_ValueError, "guided: target out of range");
            goto done;
        }
    if (n_sets > 0 && pp[0] != 0) n_sets = -1;
    for (Py_ssize_t k = 0; k < n_sets && n_sets > 0; k++)
        if (pp[k + 1] < pp[k] || pp[k + 1] > ns) n_sets = -1;
    if (n_sets < 0 || (LEN(sptr, 8) > 0 && pp[LEN(sptr, 8) - 1] != ns)) {
        PyErr_SetString(PyExc_ValueError, "guided: bad set_ptr");
        goto done;
    }
    for (Py_ssize_t i = 0; i < ns; i++)
        if (sv[i] < 0 || sv[i] >= n || !(scv[i] >= 0)) {
            PyErr_SetString(PyExc_ValueError, "guided: source out of range");
            goto done;
        }
    known = bknown.view.buf, rest = brest.view.buf, nxt = bnxt.view.buf, rhop = brhop.view.buf;
    out_ptr = malloc(((size_t)n_sets + 1) * sizeof(int64_t));
    out_first = malloc(((size_t)n_sets + 1) * sizeof(int64_t));
    out_last = malloc(((size_t)n_sets + 1) * sizeof(int64_t));
    out_cost = malloc(((size_t)n_sets + 1) * sizeof(double));
    if (!out_ptr || !out_first || !out_last || !out_cost) {
        PyErr_NoMemory();
        goto done;
    }
    int failed = 0;
    Py_BEGIN_ALLOW_THREADS;
    clean_reset(d, pr, tch, cnt[0], n);
    cnt[0] = -1; /* unknown until the searches are done */
    memset(flag, 0, (size_t)n + 1);
    heur_begin(&H); /* one potential for every source set */
    for (Py_ssize_t j = 0; j < nt; j++) {
        int64_t t = tv[j];
        if (!known[t] || tcv[j] < rest[t]) {
            if (!known[t] && ivec_push(&marked, t)) failed = 1;
            known[t] = 1;
            rest[t] = tcv[j];
            nxt[t] = -1;
            rhop[t] = 0;
        }
    }
    out_ptr[0] = 0;
    for (Py_ssize_t k = 0; k < n_sets && !failed; k++) {
        Py_ssize_t reached = 0;
        heap.n = 0;
        for (int64_t i = pp[k]; i < pp[k + 1] && !failed; i++) {
            int64_t v = sv[i];
            if (scv[i] < d[v]) {
                double hv = heur(&H, v);
                if (hv == INFINITY) continue;
                if (!(flag[v] & 8)) {
                    flag[v] |= 8;
                    tch[reached++] = v;
                }
                d[v] = scv[i];
                hop[v] = 0;
                pr[v] = -1;
                if (heap_push(&heap, scv[i] + hv, 0, v)) failed = 1;
            }
        }
        double best = INFINITY, tie = 0.0; /* tie: how close to best counts as equal */
        int64_t meet = -1, best_hops = 0;
        while (heap.n && !failed && !H.bad) {
            HItem it = heap_pop(&heap);
            int64_t v = it.node;
            if (flag[v] & 1) continue;
            if (it.key > best + tie) break;
            flag[v] |= 1;
            double dv = d[v];
            if (known[v]) {
                double tot = dv + rest[v];
                int64_t th = hop[v] + rhop[v];
                if (tot < best - tie || (tot <= best + tie && th < best_hops)) {
                    best = tot;
                    tie = TIE_REL * fabs(tot);
                    best_hops = th;
                    meet = v;
                }
                if (known[v] == 2) continue; /* the rest of its path is known: not expanded */
            }
            for (int64_t a = ip[v]; a < ip[v + 1]; a++) {
                int64_t u = hd[a];
                if (flag[u] & 1) continue;
                double nd = dv + wt[a];
                int64_t nh = hop[v] + 1;
                int fresh = !(flag[u] & 8);
                if (fresh || nd < d[u] || (nd == d[u] && nh < hop[u])) {
                    double hu = heur(&H, u);
                    if (hu == INFINITY) continue;
                    if (fresh) {
                        flag[u] |= 8;
                        tch[reached++] = u;
                    }
                    d[u] = nd;
                    hop[u] = nh;
                    pr[u] = a;
                    if (heap_push(&heap, nd + hu, nh, u)) {
                        failed = 1;
                        break;
                    }
                }
            }
        }
        if (!failed && !H.bad && meet >= 0) {
            /* the search's part, walked back from where it met a target or a path and
             * reversed; then the known rest */
            Py_ssize_t start = arcs.n;
            for (int64_t x = meet; pr[x] >= 0 && !failed; x = tl[pr[x]])
                if (ivec_push(&arcs, pr[x])) failed = 1;
            for (Py_ssize_t i = start, j = arcs.n - 1; i < j; i++, j--) {
                int64_t t = arcs.a[i];
                arcs.a[i] = arcs.a[j];
                arcs.a[j] = t;
            }
            Py_ssize_t prefix_end = arcs.n;
            int64_t last = meet;
            for (int64_t x = meet; nxt[x] >= 0 && !failed; x = hd[nxt[x]]) {
                if (ivec_push(&arcs, nxt[x])) failed = 1;
                last = hd[nxt[x]];
            }
            /* the states of the search's part are known from now on: their rest summed
             * from the meeting point backwards.  A target the path passes is one too: the
             * search went on from it, so going on is no dearer than leaving there */
            double r = rest[meet];
            int64_t rh = rhop[meet];
            for (Py_ssize_t i = prefix_end - 1; i >= start; i--) {
                int64_t a = arcs.a[i], u = tl[a];
                r += wt[a];
                rh++;
                if (known[u] != 2) {
                    if (!known[u] && ivec_push(&marked, u)) failed = 1;
                    known[u] = 2;
                    rest[u] = r;
                    nxt[u] = a;
                    rhop[u] = rh;
                }
            }
            out_first[k] = arcs.n > start ? tl[arcs.a[start]] : meet;
            out_last[k] = last;
            out_cost[k] = best;
        } else {
            out_first[k] = out_last[k] = -1;
            out_cost[k] = INFINITY;
        }
        out_ptr[k + 1] = arcs.n;
        for (Py_ssize_t i = 0; i < reached; i++) { /* as found: for the next search */
            int64_t v = tch[i];
            d[v] = INFINITY;
            pr[v] = -1;
            flag[v] = 0;
        }
    }
    for (Py_ssize_t i = 0; i < marked.n; i++) known[marked.a[i]] = 0; /* as found */
    cnt[0] = 0; /* each search reset what it reached: dist and pred are clean everywhere */
    Py_END_ALLOW_THREADS;
    if (failed) {
        PyErr_NoMemory();
        goto done;
    }
    if (H.bad) {
        PyErr_SetString(PyExc_ValueError, "guided: inconsistent heuristic arrays");
        goto done;
    }
    ret = Py_BuildValue("(NNNNN)", bytes_of(arcs.a, arcs.n * (Py_ssize_t)sizeof(int64_t)),
                        bytes_of(out_ptr, (n_sets + 1) * (Py_ssize_t)sizeof(int64_t)),
                        bytes_of(out_first, n_sets * (Py_ssize_t)sizeof(int64_t)),
                        bytes_of(out_last, n_sets * (Py_ssize_t)sizeof(int64_t)),
                        bytes_of(out_cost, n_sets * (Py_ssize_t)sizeof(double)));
done:
    free(arcs.a), free(marked.a);
    free(out_ptr), free(out_first), free(out_last), free(out_cost);
    if (!heap.borrowed) free(heap.a);
    rel(&indptr), rel(&head), rel(&w), rel(&tail), rel(&tgt), rel(&tc), rel(&sptr), rel(&src);
    rel(&sc), rel(&dist), rel(&pred), rel(&touch), rel(&ccount), heur_release(&H);
    rel(&whop), rel(&wflag), rel(&wheap), rel(&bknown), rel(&brest), rel(&bnxt);
    rel(&brhop);
    return ret;
}

/* ------------------------------------------------------------------ trace */

/* trace(pred, tail, v): the arc positions of the searched path that ends at v, first arc
 * first, as the bytes of an int64 array. */
static PyObject *k_trace(PyObject *self, PyObject *args) {
    PyObject *o_pred, *o_tail;
    long long v;
    if (!PyArg_ParseTuple(args, "OOL", &o_pred, &o_tail, &v)) return NULL;
    Buf pred = {0}, tail = {0};
    PyObject *out = NULL;
    if (get_buf(o_pred, &pred, "i", 8, 0, "pred") || get_buf(o_tail, &tail, "i", 8, 0, "tail"))
        goto done;
    const int64_t *pr = pred.view.buf, *tl = tail.view.buf;
    Py_ssize_t n = LEN(pred, 8), m = LEN(tail, 8), len = 0;
    if (v < 0 || v >= n) {
        PyErr_SetString(PyExc_ValueError, "trace: state out of range");
        goto done;
    }
    for (int64_t x = v; pr[x] >= 0; x = tl[pr[x]]) {
        if (pr[x] >= m || tl[pr[x]] < 0 || tl[pr[x]] >= n || ++len > n) {
            PyErr_SetString(PyExc_ValueError, "trace: broken predecessor array");
            goto done;
        }
    }
    out = PyBytes_FromStringAndSize(NULL, len * (Py_ssize_t)sizeof(int64_t));
    if (!out) goto done;
    int64_t *arcs = (int64_t *)PyBytes_AS_STRING(out);
    Py_ssize_t i = len;
    for (int64_t x = v; pr[x] >= 0; x = tl[pr[x]]) arcs[--i] = pr[x];
done:
    rel(&pred), rel(&tail);
    return out;
}

/* copy_at(dst, src, at): dst[at[i]] = src[at[i]] for every i, items of any one size (e.g.
 * float64, or a float64 pair viewed as complex128), at an int64 array of item indices,
 * each checked; nothing is copied if one is out of range.  Faster than numpy's fancy
 * indexing for the scattered restores of the alternatives. */
static PyObject *k_copy_at(PyObject *self, PyObject *args) {
    PyObject *o_dst, *o_src, *o_at;
    if (!PyArg_ParseTuple(args, "OOO", &o_dst, &o_src, &o_at)) return NULL;
    Py_buffer dst = {0}, src = {0};
    Buf at = {0};
    int hd = 0, hs = 0;
    PyObject *ret = NULL;
    if (PyObject_GetBuffer(o_dst, &dst, PyBUF_C_CONTIGUOUS | PyBUF_WRITABLE | PyBUF_FORMAT) < 0)
        goto done;
    hd = 1;
    if (PyObject_GetBuffer(o_src, &src, PyBUF_C_CONTIGUOUS | PyBUF_FORMAT) < 0) goto done;
    hs = 1;
    if (get_buf(o_at, &at, "i", 8, 0, "at")) goto done;
    Py_ssize_t size = dst.itemsize, n = size > 0 ? dst.len / size : 0, k = LEN(at, 8);
    if (src.itemsize != size || src.len != dst.len || size <= 0 ||
        strcmp(dst.format ? dst.format : "B", src.format ? src.format : "B")) {
        PyErr_SetString(PyExc_ValueError, "copy_at: dst and src differ");
        goto done;
    }
    const int64_t *ix = at.view.buf;
    for (Py_ssize_t i = 0; i < k; i++)
        if (ix[i] < 0 || ix[i] >= n) {
            PyErr_SetString(PyExc_ValueError, "copy_at: index out of range");
            goto done;
        }
    char *d = dst.buf;
    const char *s = src.buf;
    Py_BEGIN_ALLOW_THREADS;
    if (size == 8)
        for (Py_ssize_t i = 0; i < k; i++) ((int64_t *)d)[ix[i]] = ((const int64_t *)s)[ix[i]];
    else
        for (Py_ssize_t i = 0; i < k; i++) memcpy(d + ix[i] * size, s + ix[i] * size, (size_t)size);
    Py_END_ALLOW_THREADS;
    ret = Py_NewRef(Py_None);
done:
    if (hd) PyBuffer_Release(&dst);
    if (hs) PyBuffer_Release(&src);
    rel(&at);
    return ret;
}

/* walk(pred, next_of, v): positions pred[v], pred[next_of[pred[v]]], ... until -1, in walk
 * order (for a reverse search, whose predecessors point forward along the path), as the
 * bytes of an int64 array. */
static PyObject *k_walk(PyObject *self, PyObject *args) {
    PyObject *o_pred, *o_next;
    long long v;
    if (!PyArg_ParseTuple(args, "OOL", &o_pred, &o_next, &v)) return NULL;
    Buf pred = {0}, nxt = {0};
    PyObject *out = NULL;
    if (get_buf(o_pred, &pred, "i", 8, 0, "pred") || get_buf(o_next, &nxt, "i", 8, 0, "next_of"))
        goto done;
    const int64_t *pr = pred.view.buf, *nx = nxt.view.buf;
    Py_ssize_t n = LEN(pred, 8), m = LEN(nxt, 8), len = 0;
    if (v < 0 || v >= n) {
        PyErr_SetString(PyExc_ValueError, "walk: state out of range");
        goto done;
    }
    for (int64_t x = v; pr[x] >= 0; x = nx[pr[x]]) {
        if (pr[x] >= m || nx[pr[x]] < 0 || nx[pr[x]] >= n || ++len > n) {
            PyErr_SetString(PyExc_ValueError, "walk: broken predecessor array");
            goto done;
        }
    }
    out = PyBytes_FromStringAndSize(NULL, len * (Py_ssize_t)sizeof(int64_t));
    if (!out) goto done;
    int64_t *a = (int64_t *)PyBytes_AS_STRING(out);
    Py_ssize_t i = 0;
    for (int64_t x = v; pr[x] >= 0; x = nx[pr[x]]) a[i++] = pr[x];
done:
    rel(&pred), rel(&nxt);
    return out;
}

/* ------------------------------------------------------------------ BOA* */

typedef struct {
    double f1, f2;
    int64_t lid;
} LItem;

typedef struct {
    LItem *a;
    Py_ssize_t n, cap;
} LHeap;

static inline int l_less(const LItem *x, const LItem *y) {
    if (x->f1 != y->f1) return x->f1 < y->f1;
    if (x->f2 != y->f2) return x->f2 < y->f2;
    return x->lid < y->lid;
}

static int lheap_push(LHeap *h, LItem it) {
    if (h->n == h->cap) {
        Py_ssize_t cap = h->cap ? 2 * h->cap : 1024;
        LItem *a = realloc(h->a, (size_t)cap * sizeof(LItem));
        if (!a) return -1;
        h->a = a;
        h->cap = cap;
    }
    Py_ssize_t i = h->n++;
    while (i > 0) {
        Py_ssize_t p = (i - 1) >> 1;
        if (!l_less(&it, &h->a[p])) break;
        h->a[i] = h->a[p];
        i = p;
    }
    h->a[i] = it;
    return 0;
}

static LItem lheap_pop(LHeap *h) {
    LItem top = h->a[0];
    LItem last = h->a[--h->n];
    Py_ssize_t i = 0, n = h->n;
    for (;;) {
        Py_ssize_t c = 2 * i + 1;
        if (c >= n) break;
        if (c + 1 < n && l_less(&h->a[c + 1], &h->a[c])) c++;
        if (!l_less(&h->a[c], &last)) break;
        h->a[i] = h->a[c];
        i = c;
    }
    if (n) h->a[i] = last;
    return top;
}

typedef struct {
    int64_t state, arc, parent;
    double g1, g2;
} Label;

typedef struct {
    Label *a;
    Py_ssize_t n, cap;
} Labels;

static int labels_add(Labels *L, int64_t state, int64_t arc, int64_t parent, double g1,
                      double g2) {
    if (L->n == L->cap) {
        Py_ssize_t cap = L->cap ? 2 * L->cap : 4096;
        Label *a = realloc(L->a, (size_t)cap * sizeof(Label));
        if (!a) return -1;
        L->a = a;
        L->cap = cap;
    }
    Label *x = &L->a[L->n++];
    x->state = state, x->arc = arc, x->parent = parent, x->g1 = g1, x->g2 = g2;
    return 0;
}

/*
 * boa(indptr, head, w1, w2, arc_id, h1, h2, src, sc1, sc2, tgt, tc1, tc2,
 *     bound1, bound2, max_labels, eps)
 * -> (found, labels, complete) with found a list of (nodes, arcs, g1, g2).
 * The expansion order, the pruning and the tie-breaking are those of the Python loop it
 * replaces: labels in lexicographic order of (f1, f2, label id).
 */
static PyObject *k_boa(PyObject *self, PyObject *args) {
    PyObject *o_indptr, *o_head, *o_w1, *o_w2, *o_arc, *o_h1, *o_h2, *o_src, *o_sc1, *o_sc2,
        *o_tgt, *o_tc1, *o_tc2;
    double bound1, bound2, eps;
    Py_ssize_t max_labels;
    if (!PyArg_ParseTuple(args, "OOOOOOOOOOOOOddnd", &o_indptr, &o_head, &o_w1, &o_w2, &o_arc,
                          &o_h1, &o_h2, &o_src, &o_sc1, &o_sc2, &o_tgt, &o_tc1, &o_tc2, &bound1,
                          &bound2, &max_labels, &eps))
        return NULL;
    Buf indptr = {0}, head = {0}, w1 = {0}, w2 = {0}, arc = {0}, h1 = {0}, h2 = {0}, src = {0},
        sc1 = {0}, sc2 = {0}, tgt = {0}, tc1 = {0}, tc2 = {0};
    PyObject *ret = NULL, *found_list = NULL;
    unsigned char *is_t = NULL;
    double *g2min = NULL;
    LHeap heap = {0};
    Labels L = {0};
    int64_t *found = NULL;
    Py_ssize_t n_found = 0;
    if (get_buf(o_indptr, &indptr, "i", 8, 0, "indptr") || get_buf(o_head, &head, "i", 4, 0, "head") ||
        get_buf(o_w1, &w1, "d", 8, 0, "w1") || get_buf(o_w2, &w2, "d", 8, 0, "w2") ||
        get_buf(o_arc, &arc, "i", 8, 0, "arc") || get_buf(o_h1, &h1, "d", 8, 0, "h1") ||
        get_buf(o_h2, &h2, "d", 8, 0, "h2") || get_buf(o_src, &src, "i", 8, 0, "src") ||
        get_buf(o_sc1, &sc1, "d", 8, 0, "sc1") || get_buf(o_sc2, &sc2, "d", 8, 0, "sc2") ||
        get_buf(o_tgt, &tgt, "i", 8, 0, "tgt") || get_buf(o_tc1, &tc1, "d", 8, 0, "tc1") ||
        get_buf(o_tc2, &tc2, "d", 8, 0, "tc2"))
        goto done;
    const int64_t *ip = indptr.view.buf, *aid = arc.view.buf, *sv = src.view.buf,
                  *tv = tgt.view.buf;
    const int32_t *hd = head.view.buf;
    const double *c1v = w1.view.buf, *c2v = w2.view.buf, *h1v = h1.view.buf, *h2v = h2.view.buf;
    const double *s1 = sc1.view.buf, *s2 = sc2.view.buf, *t1 = tc1.view.buf, *t2 = tc2.view.buf;
    Py_ssize_t n = LEN(indptr, 8) - 1, ns = LEN(src, 8), nt = LEN(tgt, 8);
    if (LEN(h1, 8) != n || LEN(h2, 8) != n || LEN(sc1, 8) != ns || LEN(sc2, 8) != ns ||
        LEN(tc1, 8) != nt || LEN(tc2, 8) != nt || LEN(arc, 8) != LEN(head, 4) ||
        LEN(w1, 8) != LEN(head, 4) || LEN(w2, 8) != LEN(head, 4)) {
        PyErr_SetString(PyExc_ValueError, "boa: inconsistent array lengths");
        goto done;
    }
    const int64_t goal = n;
    is_t = calloc((size_t)n + 1, 1);
    g2min = malloc(((size_t)n + 1) * sizeof(double));
    found = malloc(((size_t)nt + 16) * sizeof(int64_t));
    if (!is_t || !g2min || !found) {
        PyErr_NoMemory();
        goto done;
    }
    for (Py_ssize_t j = 0; j < nt; j++) {
        if (tv[j] < 0 || tv[j] >= n) {
            PyErr_SetString(PyExc_ValueError, "boa: target out of range");
            goto done;
        }
        is_t[tv[j]] = 1;
    }
    for (Py_ssize_t i = 0; i <= n; i++) g2min[i] = INFINITY;
    Py_ssize_t found_cap = nt + 16;
    int oom = 0, complete = 1;
    double best_goal = INFINITY;
    Py_BEGIN_ALLOW_THREADS;
    for (Py_ssize_t i = 0; i < ns && !oom; i++) {
        int64_t s = sv[i];
        double f1 = s1[i] + h1v[s], f2 = s2[i] + h2v[s];
        if (f1 <= bound1 && f2 <= bound2) {
            LItem it = {f1, f2, L.n};
            if (labels_add(&L, s, -1, -1, s1[i], s2[i]) || lheap_push(&heap, it)) oom = 1;
        }
    }
    while (!oom && heap.n) {
        LItem it = lheap_pop(&heap);
        Label lab = L.a[it.lid];
        int64_t v = lab.state;
        double g1 = lab.g1, g2 = lab.g2;
        if (v == goal) {
            if (g2 * eps < best_goal) {
                best_goal = g2;
                if (n_found == found_cap) {
                    found_cap *= 2;
                    int64_t *f = realloc(found, (size_t)found_cap * sizeof(int64_t));
                    if (!f) {
                        oom = 1;
                        break;
                    }
                    found = f;
                }
                found[n_found++] = it.lid;
            }
            continue;
        }
        if (g2 >= g2min[v] || it.f2 * eps >= best_goal) continue;
        g2min[v] = g2;
        for (int64_t a = ip[v]; a < ip[v + 1]; a++) {
            int64_t t = hd[a];
            double th1 = h1v[t], th2 = h2v[t];
            if (!(th1 < INFINITY && th2 < INFINITY)) continue;
            double n2 = g2 + c2v[a];
            if (n2 >= g2min[t]) continue;
            double nf2 = n2 + th2;
            if (nf2 > bound2 || nf2 * eps >= best_goal) continue;
            double n1 = g1 + c1v[a];
            double nf1 = n1 + th1;
            if (nf1 > bound1) continue;
            LItem ni = {nf1, nf2, L.n};
            if (labels_add(&L, t, aid[a], it.lid, n1, n2) || lheap_push(&heap, ni)) {
                oom = 1;
                break;
            }
        }
        if (!oom && is_t[v]) {
            for (Py_ssize_t j = 0; j < nt; j++) {
                if (tv[j] != v) continue;
                double n1 = g1 + t1[j], n2 = g2 + t2[j];
                if (n1 <= bound1 && n2 <= bound2 && n2 * eps < best_goal) {
                    LItem ni = {n1, n2, L.n};
                    if (labels_add(&L, goal, -1, it.lid, n1, n2) || lheap_push(&heap, ni)) {
                        oom = 1;
                        break;
                    }
                }
            }
        }
        if (L.n > max_labels) {
            complete = 0;
            break;
        }
    }
    Py_END_ALLOW_THREADS;
    if (oom) {
        PyErr_NoMemory();
        goto done;
    }
    found_list = PyList_New(n_found);
    if (!found_list) goto done;
    for (Py_ssize_t f = 0; f < n_found; f++) {
        const Label *gl = &L.a[found[f]];
        Py_ssize_t len = 0;
        for (int64_t i = gl->parent; i >= 0; i = L.a[i].parent) len++;
        PyObject *nodes = PyList_New(len), *arcs = PyList_New(len ? len - 1 : 0);
        if (!nodes || !arcs) {
            Py_XDECREF(nodes), Py_XDECREF(arcs);
            goto done;
        }
        Py_ssize_t k = len, ka = len - 1;
        for (int64_t i = gl->parent; i >= 0; i = L.a[i].parent) {
            PyList_SET_ITEM(nodes, --k, PyLong_FromLongLong(L.a[i].state));
            if (L.a[i].arc >= 0) PyList_SET_ITEM(arcs, --ka, PyLong_FromLongLong(L.a[i].arc));
        }
        PyObject *tup = Py_BuildValue("(NNdd)", nodes, arcs, gl->g1, gl->g2);
        if (!tup) goto done;
        PyList_SET_ITEM(found_list, f, tup);
    }
    ret = Py_BuildValue("(Onn)", found_list, L.n, (Py_ssize_t)complete);
done:
    Py_XDECREF(found_list);
    free(is_t);
    free(g2min);
    free(found);
    free(heap.a);
    free(L.a);
    rel(&indptr), rel(&head), rel(&w1), rel(&w2), rel(&arc), rel(&h1), rel(&h2), rel(&src);
    rel(&sc1), rel(&sc2), rel(&tgt), rel(&tc1), rel(&tc2);
    return ret;
}

/* ------------------------------------------------------------------ module */

static PyMethodDef methods[] = {
    {"scale_arcs", k_scale_arcs, METH_VARARGS,
     "scale_arcs(w, positions, factor, pair_of, starts, ends, order, mark) -> (pairs, minima): "
     "multiply arc weights, and the cheapest arc of each pair of groups they join"},
    {"group_pairs", k_group_pairs, METH_VARARGS,
     "group_pairs(groups, src, dst, n_groups, order, starts, ga, gb, back, pair_of) -> "
     "(k, pairs): the "
     "arcs between groups ordered by (from, to) group, by two stable counting sorts"},
    {"guided", k_guided, METH_VARARGS,
     "guided(indptr, head, w, tail, heur, tgt, tc, set_ptr, src, sc, dist, pred, clean, ws, "
     "known, rest, nxt, rhop) "
     "-> (arcs, path_ptr, first, last, cost) bytes: one A* search per source set towards the "
     "targets, each stopping where it meets a path found before"},
    {"dijkstra", k_dijkstra, METH_VARARGS,
     "dijkstra(indptr, head, w, src, sc, tgt, tc, tset, n_sets, limit, heur, dist, pred, best"
     "[, prune, ws, clean]) -> settled; heur is None, (node_of, lf, lb, "
     "target_groups, exit_costs, L) or the hierarchy form ('cch', node_of, up_ptr, up_head, "
     "parent, w, climb, target_ranks, exit_costs, dist, flag, stack); ws is None or (hop, flag, heap) scratch arrays; clean is "
     "None or (touched, count): dist and pred are clean but at the touched states"},
    {"trace", k_trace, METH_VARARGS,
     "trace(pred, tail, v) -> arc positions of the path to v, as int64 bytes"},
    {"copy_at", k_copy_at, METH_VARARGS,
     "copy_at(dst, src, at): dst[at] = src[at] for items of one size, indices checked"},
    {"walk", k_walk, METH_VARARGS,
     "walk(pred, next_of, v) -> positions in walk order, as int64 bytes"},
    {"boa", k_boa, METH_VARARGS,
     "boa(indptr, head, w1, w2, arc, h1, h2, src, sc1, sc2, tgt, tc1, tc2, bound1, bound2, "
     "max_labels, eps) -> (found, labels, complete)"},
    {"ch_build", ch_build, METH_VARARGS,
     "ch_build(indptr, head, w) -> contraction hierarchy as a tuple of bytes (see _ch.c)"},
    {"ch_query", ch_query, METH_VARARGS,
     "ch_query(hierarchy arrays..., src, sc, tgt, tc, workspaces...) -> (cost, meet, arcs)"},
    {"cch_build", cch_build, METH_VARARGS,
     "cch_build(n, u, v) -> (up_ptr, up_head, parent, triangles) as bytes (see _cch.c)"},
    {"cch_customise", cch_customise, METH_VARARGS,
     "cch_customise(triangles, w): relax both weights of every edge over lower triangles"},
    {"cch_update", cch_update, METH_VARARGS,
     "cch_update(lower, top_ptr, top_ab, side_ptr, side_top, slot_of, slot_arc, slot_start, "
     "slot_end, slots, base, w, climb, arc_w, arcs, weights) -> moved edges: new arc "
     "weights, their slots' minima and the recustomisation"},
    {"cch_query", cch_query, METH_VARARGS,
     "cch_query(up_ptr, up_head, parent, w, to, src, sc, dist): PHAST from (to) the sources"},
    {NULL, NULL, 0, NULL},
};

static struct PyModuleDef moduledef = {PyModuleDef_HEAD_INIT, "_kernel",
                                       "Compiled search kernels of the routing package.", -1,
                                       methods};

PyMODINIT_FUNC PyInit__kernel(void) {
    PyObject *m = PyModule_Create(&moduledef);
    /* bytes of one heap entry, for callers that lend the search a heap buffer */
    if (m && PyModule_AddIntConstant(m, "HEAP_ITEM_BYTES", (long)sizeof(HItem)) < 0) {
        Py_DECREF(m);
        return NULL;
    }
    return m;
}
