/*
 * Contraction hierarchies (Geisberger, Sanders, Schultes & Delling, "Contraction
 * Hierarchies: Faster and Simpler Hierarchical Routing in Road Networks", WEA 2008) for the
 * static weights of one graph, compiled into routing._kernel.
 *
 *   ch_build  Contract every node of a CSR graph in the order of a lazily updated priority
 *             (edge difference, contracted neighbours, level).  Contracting v joins each
 *             in-neighbour u to each out-neighbour w by a shortcut u -> w of weight
 *             w(u,v) + w(v,w) unless a witness search (a bounded Dijkstra from u that avoids
 *             v) finds a path no longer.  Returns the hierarchy as bytes (numpy reads them):
 *             each node's rank, the upward graph (arcs to higher ranks, out of each node) and
 *             the downward graph (arcs from higher ranks, into each node), both as CSR with
 *             an edge id per arc, and per edge id its two children (shortcuts) or its arc
 *             position in the input graph (an input arc).
 *   ch_query  Bidirectional Dijkstra on the upward graph from the sources and on the
 *             downward graph backwards from the targets (entry and exit costs), with
 *             stall-on-demand; stops when neither queue can beat the best meeting.  Returns
 *             the cost, the meeting node and the input arc positions of the path, unpacked.
 *
 * The witness search is bounded (settled states), so it may miss a witness and add an
 * unneeded shortcut; it never drops a needed one, so queries stay exact.
 */
#include "_common.h"

/* Settled states a witness search may take: while simulating a contraction (to rank a
 * node) and while contracting.  Larger limits add fewer shortcuts but take longer; tuned on
 * the default network (2026): 60/600 contracted its 800k-state costed graph in 57 s with
 * 0.93M shortcuts, 30/100 in 42 s with 0.95M; the plain graph alike (7.5 s vs 5.7 s, 2 %
 * more shortcuts, queries no slower).  Any limit keeps queries exact. */
#define WITNESS_SIMULATE 30
#define WITNESS_CONTRACT 100

typedef struct {
    int32_t *a;
    int32_t n, cap;
} IVec;

static int iv_push(IVec *v, int32_t x) {
    if (v->n == v->cap) {
        int32_t cap = v->cap ? 2 * v->cap : 4;
        int32_t *a = realloc(v->a, (size_t)cap * sizeof(int32_t));
        if (!a) return -1;
        v->a = a;
        v->cap = cap;
    }
    v->a[v->n++] = x;
    return 0;
}

static void iv_remove(IVec *v, int32_t x) {
    for (int32_t i = 0; i < v->n; i++)
        if (v->a[i] == x) {
            v->a[i] = v->a[--v->n];
            return;
        }
}

typedef struct {
    int32_t *from, *to, *c1, *c2;
    int64_t *arc;
    double *w;
    int64_t n, cap;
} Edges;

static int64_t e_add(Edges *E, int32_t from, int32_t to, double w, int32_t c1, int32_t c2,
                     int64_t arc) {
    if (E->n == E->cap) {
        int64_t cap = E->cap ? 2 * E->cap : 1024;
        int32_t *f = realloc(E->from, (size_t)cap * sizeof(int32_t));
        if (f) E->from = f;
        int32_t *t = realloc(E->to, (size_t)cap * sizeof(int32_t));
        if (t) E->to = t;
        int32_t *a = realloc(E->c1, (size_t)cap * sizeof(int32_t));
        if (a) E->c1 = a;
        int32_t *b = realloc(E->c2, (size_t)cap * sizeof(int32_t));
        if (b) E->c2 = b;
        int64_t *r = realloc(E->arc, (size_t)cap * sizeof(int64_t));
        if (r) E->arc = r;
        double *ww = realloc(E->w, (size_t)cap * sizeof(double));
        if (ww) E->w = ww;
        if (!f || !t || !a || !b || !r || !ww || cap > INT32_MAX) return -1;
        E->cap = cap;
    }
    int64_t e = E->n++;
    E->from[e] = from, E->to[e] = to, E->w[e] = w, E->c1[e] = c1, E->c2[e] = c2;
    E->arc[e] = arc;
    return e;
}

typedef struct {
    Py_ssize_t n;
    IVec *out, *in; /* edge ids to / from uncontracted nodes (all of them once contracted) */
    Edges E;
    unsigned char *done;
    int32_t *deleted, *level;
    double *dist; /* witness search: INFINITY except at touched nodes */
    int32_t *touched;
    Py_ssize_t ntouched;
    Heap heap;
} Ctx;

/* Distances from u over uncontracted nodes other than x, up to maxd, settling at most limit
 * nodes; dist[] holds them until the next call. */
static int witness(Ctx *C, int32_t u, int32_t x, double maxd, int limit) {
    for (Py_ssize_t i = 0; i < C->ntouched; i++) C->dist[C->touched[i]] = INFINITY;
    C->ntouched = 0;
    C->heap.n = 0;
    C->dist[u] = 0.0;
    C->touched[C->ntouched++] = u;
    if (heap_push(&C->heap, 0.0, 0, u)) return -1;
    int settled = 0;
    while (C->heap.n) {
        HItem it = heap_pop(&C->heap);
        int32_t v = (int32_t)it.node;
        if (it.key > C->dist[v]) continue;
        if (it.key > maxd || ++settled > limit) break;
        IVec *o = &C->out[v];
        for (int32_t i = 0; i < o->n; i++) {
            int32_t e = o->a[i];
            int32_t y = C->E.to[e];
            if (y == x) continue;
            double nd = it.key + C->E.w[e];
            if (nd < C->dist[y] && nd <= maxd) {
                if (C->dist[y] == INFINITY) C->touched[C->ntouched++] = y;
                C->dist[y] = nd;
                if (heap_push(&C->heap, nd, 0, y)) return -1;
            }
        }
    }
    return 0;
}

/* The edge id of u -> y among u's current out-edges, or -1. */
static int32_t find_out(const Ctx *C, int32_t u, int32_t y) {
    const IVec *o = &C->out[u];
    for (int32_t i = 0; i < o->n; i++)
        if (C->E.to[o->a[i]] == y) return o->a[i];
    return -1;
}

/* Contract x (or, with simulate, only count the shortcuts it needs). */
static int contract(Ctx *C, int32_t x, int simulate, int *added) {
    int count = 0;
    IVec *in = &C->in[x], *out = &C->out[x];
    /* shortcuts are added as they are found: a later witness search from another
     * in-neighbour may use one, which is right, since each stands for a real path */
    for (int32_t i = 0; i < in->n; i++) {
        int32_t e1 = in->a[i];
        int32_t u = C->E.from[e1];
        double w1 = C->E.w[e1], maxd = -1.0;
        for (int32_t j = 0; j < out->n; j++) {
            int32_t e2 = out->a[j];
            if (C->E.to[e2] != u && w1 + C->E.w[e2] > maxd) maxd = w1 + C->E.w[e2];
        }
        if (maxd < 0) continue;
        if (witness(C, u, x, maxd, simulate ? WITNESS_SIMULATE : WITNESS_CONTRACT)) return -1;
        for (int32_t j = 0; j < out->n; j++) {
            int32_t e2 = out->a[j];
            int32_t y = C->E.to[e2];
            double c = w1 + C->E.w[e2];
            if (y == u || C->dist[y] <= c) continue;
            count++;
            if (simulate) continue;
            int32_t old = find_out(C, u, y);
            if (old >= 0 && C->E.w[old] <= c) continue;
            int64_t e = e_add(&C->E, u, y, c, e1, e2, -1);
            if (e < 0) return -1;
            if (old >= 0) {
                iv_remove(&C->out[u], old);
                iv_remove(&C->in[y], old);
            }
            if (iv_push(&C->out[u], (int32_t)e) || iv_push(&C->in[y], (int32_t)e)) return -1;
        }
    }
    *added = count;
    return 0;
}

static int priority(Ctx *C, int32_t x, double *prio) {
    int added = 0;
    if (contract(C, x, 1, &added)) return -1;
    int removed = C->in[x].n + C->out[x].n;
    /* edge difference (weighted twice), contracted neighbours (spreads the contraction
     * evenly) and level (keeps the hierarchy shallow): the usual terms of Geisberger et
     * al. (2008); the weights are not tuned further, any order keeps queries exact */
    *prio = 2.0 * (added - removed) + C->deleted[x] + C->level[x];
    return 0;
}


/* ch_build(indptr int64[n+1], head int32[m], w float64[m]) -> tuple of bytes:
 * (rank int32[n], up_ptr int64[n+1], up_head int32, up_w float64, up_edge int32,
 *  dn_ptr int64[n+1], dn_tail int32, dn_w float64, dn_edge int32,
 *  edge_from int32[E], edge_to int32[E], edge_c1 int32[E], edge_c2 int32[E],
 *  edge_arc int64[E]) */
PyObject *ch_build(PyObject *self, PyObject *args) {
    PyObject *o_indptr, *o_head, *o_w;
    if (!PyArg_ParseTuple(args, "OOO", &o_indptr, &o_head, &o_w)) return NULL;
    Buf indptr = {0}, head = {0}, w = {0};
    PyObject *ret = NULL;
    Ctx C = {0};
    int32_t *rank = NULL, *seen = NULL;
    int64_t *up_ptr = NULL, *dn_ptr = NULL;
    int32_t *up_head = NULL, *up_edge = NULL, *dn_tail = NULL, *dn_edge = NULL;
    double *up_w = NULL, *dn_w = NULL, *cur = NULL;
    Heap pq = {0};
    int oom = 0;
    if (get_buf(o_indptr, &indptr, "i", 8, 0, "indptr") || get_buf(o_head, &head, "i", 4, 0, "head") ||
        get_buf(o_w, &w, "d", 8, 0, "w"))
        goto done;
    Py_ssize_t n = LEN(indptr, 8) - 1, m = LEN(head, 4);
    const int64_t *ip = indptr.view.buf;
    const int32_t *hd = head.view.buf;
    const double *wt = w.view.buf;
    if (n < 0 || n >= INT32_MAX || LEN(w, 8) != m || ip[0] != 0 || ip[n] != m) {
        PyErr_SetString(PyExc_ValueError, "ch_build: inconsistent CSR arrays");
        goto done;
    }
    for (Py_ssize_t v = 0; v < n; v++)
        if (ip[v] > ip[v + 1]) {
            PyErr_SetString(PyExc_ValueError, "ch_build: indptr must not decrease");
            goto done;
        }
    for (Py_ssize_t a = 0; a < m; a++)
        if (hd[a] < 0 || hd[a] >= n || !(wt[a] >= 0) || wt[a] == INFINITY) {
            PyErr_SetString(PyExc_ValueError, "ch_build: bad arc head or weight");
            goto done;
        }
    C.n = n;
    C.out = calloc((size_t)n + 1, sizeof(IVec));
    C.in = calloc((size_t)n + 1, sizeof(IVec));
    C.done = calloc((size_t)n + 1, 1);
    C.deleted = calloc((size_t)n + 1, sizeof(int32_t));
    C.level = calloc((size_t)n + 1, sizeof(int32_t));
    C.dist = malloc(((size_t)n + 1) * sizeof(double));
    C.touched = malloc(((size_t)n + 1) * sizeof(int32_t));
    rank = malloc(((size_t)n + 1) * sizeof(int32_t));
    cur = malloc(((size_t)n + 1) * sizeof(double));
    seen = calloc((size_t)n + 1, sizeof(int32_t)); /* x + 1 once y is updated for x */
    if (!C.out || !C.in || !C.done || !C.deleted || !C.level || !C.dist || !C.touched || !rank ||
        !cur || !seen) {
        PyErr_NoMemory();
        goto done;
    }
    Py_BEGIN_ALLOW_THREADS;
    for (Py_ssize_t i = 0; i < n; i++) C.dist[i] = INFINITY;
    /* input arcs: no loops, the cheapest of parallel arcs */
    for (Py_ssize_t v = 0; v < n && !oom; v++)
        for (int64_t a = ip[v]; a < ip[v + 1] && !oom; a++) {
            int32_t y = hd[a];
            if (y == v) continue;
            int32_t old = find_out(&C, (int32_t)v, y);
            if (old >= 0 && C.E.w[old] <= wt[a]) continue;
            int64_t e = e_add(&C.E, (int32_t)v, y, wt[a], -1, -1, a);
            if (e < 0) {
                oom = 1;
                break;
            }
            if (old >= 0) {
                iv_remove(&C.out[v], old);
                iv_remove(&C.in[y], old);
            }
            if (iv_push(&C.out[v], (int32_t)e) || iv_push(&C.in[y], (int32_t)e)) oom = 1;
        }
    for (Py_ssize_t v = 0; v < n && !oom; v++) {
        if (priority(&C, (int32_t)v, &cur[v]) || heap_push(&pq, cur[v], 0, v)) oom = 1;
    }
    int32_t next_rank = 0;
    while (!oom && pq.n) {
        HItem it = heap_pop(&pq);
        int32_t x = (int32_t)it.node;
        if (C.done[x] || it.key != cur[x]) continue;
        double p;
        if (priority(&C, x, &p)) {
            oom = 1;
            break;
        }
        if (pq.n && p > pq.a[0].key) { /* lazy update: ranked too early, queue it again */
            cur[x] = p;
            if (heap_push(&pq, p, 0, x)) oom = 1;
            continue;
        }
        int added;
        if (contract(&C, x, 0, &added)) {
            oom = 1;
            break;
        }
        C.done[x] = 1;
        rank[x] = next_rank++;
        IVec *out = &C.out[x], *in = &C.in[x];
        for (int32_t i = 0; i < out->n; i++) iv_remove(&C.in[C.E.to[out->a[i]]], out->a[i]);
        for (int32_t i = 0; i < in->n; i++) iv_remove(&C.out[C.E.from[in->a[i]]], in->a[i]);
        for (int side = 0; side < 2 && !oom; side++) {
            IVec *lst = side ? in : out;
            for (int32_t i = 0; i < lst->n; i++) {
                int32_t y = side ? C.E.from[lst->a[i]] : C.E.to[lst->a[i]];
                /* a two-way neighbour is in both lists: update it once */
                if (C.done[y] || seen[y] == x + 1) continue;
                seen[y] = x + 1;
                C.deleted[y]++;
                if (C.level[y] < C.level[x] + 1) C.level[y] = C.level[x] + 1;
                if (priority(&C, y, &cur[y]) || heap_push(&pq, cur[y], 0, y)) {
                    oom = 1;
                    break;
                }
            }
        }
    }
    /* upward graph: each node's out-edges at its contraction; downward: its in-edges */
    if (!oom) {
        up_ptr = malloc(((size_t)n + 1) * sizeof(int64_t));
        dn_ptr = malloc(((size_t)n + 1) * sizeof(int64_t));
        if (!up_ptr || !dn_ptr) oom = 1;
    }
    if (!oom) {
        up_ptr[0] = dn_ptr[0] = 0;
        for (Py_ssize_t v = 0; v < n; v++) {
            up_ptr[v + 1] = up_ptr[v] + C.out[v].n;
            dn_ptr[v + 1] = dn_ptr[v] + C.in[v].n;
        }
        size_t nu = (size_t)up_ptr[n] + 1, nd = (size_t)dn_ptr[n] + 1;
        up_head = malloc(nu * sizeof(int32_t)), up_edge = malloc(nu * sizeof(int32_t));
        up_w = malloc(nu * sizeof(double));
        dn_tail = malloc(nd * sizeof(int32_t)), dn_edge = malloc(nd * sizeof(int32_t));
        dn_w = malloc(nd * sizeof(double));
        if (!up_head || !up_edge || !up_w || !dn_tail || !dn_edge || !dn_w) oom = 1;
    }
    if (!oom)
        for (Py_ssize_t v = 0; v < n; v++) {
            for (int32_t i = 0; i < C.out[v].n; i++) {
                int32_t e = C.out[v].a[i];
                int64_t k = up_ptr[v] + i;
                up_head[k] = C.E.to[e], up_w[k] = C.E.w[e], up_edge[k] = e;
            }
            for (int32_t i = 0; i < C.in[v].n; i++) {
                int32_t e = C.in[v].a[i];
                int64_t k = dn_ptr[v] + i;
                dn_tail[k] = C.E.from[e], dn_w[k] = C.E.w[e], dn_edge[k] = e;
            }
        }
    Py_END_ALLOW_THREADS;
    if (oom) {
        PyErr_NoMemory();
        goto done;
    }
    Py_ssize_t nu = up_ptr[n], nd = dn_ptr[n], ne = C.E.n;
    ret = Py_BuildValue(
        "(NNNNNNNNNNNNNN)", bytes_of(rank, n * 4), bytes_of(up_ptr, (n + 1) * 8),
        bytes_of(up_head, nu * 4), bytes_of(up_w, nu * 8), bytes_of(up_edge, nu * 4),
        bytes_of(dn_ptr, (n + 1) * 8), bytes_of(dn_tail, nd * 4), bytes_of(dn_w, nd * 8),
        bytes_of(dn_edge, nd * 4), bytes_of(C.E.from, ne * 4), bytes_of(C.E.to, ne * 4),
        bytes_of(C.E.c1, ne * 4), bytes_of(C.E.c2, ne * 4), bytes_of(C.E.arc, ne * 8));
done:
    if (C.out)
        for (Py_ssize_t v = 0; v < C.n; v++) free(C.out[v].a), free(C.in[v].a);
    free(C.out), free(C.in), free(C.done), free(C.deleted), free(C.level), free(C.dist);
    free(C.touched), free(C.heap.a);
    free(C.E.from), free(C.E.to), free(C.E.c1), free(C.E.c2), free(C.E.arc), free(C.E.w);
    free(rank), free(seen), free(cur), free(pq.a);
    free(up_ptr), free(dn_ptr), free(up_head), free(up_edge), free(up_w);
    free(dn_tail), free(dn_edge), free(dn_w);
    rel(&indptr), rel(&head), rel(&w);
    return ret;
}

/* One direction of a query: distances, the edge id that reached each node, settled flags. */
typedef struct {
    const int64_t *ptr;
    const int32_t *nb, *edge;
    const double *w;
    /* the opposite graph, for stall-on-demand: arcs into v from higher ranks (forward
     * side) or out of v to higher ranks (backward side) */
    const int64_t *optr;
    const int32_t *onb;
    const double *ow;
    double *dist;
    int64_t *pred;
    unsigned char *flag; /* bit 1: settled, bit 2: stalled */
    int32_t *touched;
    Py_ssize_t nt;
    Heap heap;
} Side;

static int side_reach(Side *S, int32_t v, double d, int64_t e) {
    if (S->dist[v] == INFINITY && S->pred[v] == -2) S->touched[S->nt++] = v;
    S->dist[v] = d;
    S->pred[v] = e;
    return heap_push(&S->heap, d, 0, v);
}

/* Settle the next node of S (the other side is T); update the best meeting. */
static int side_step(Side *S, const Side *T, double *best, int32_t *meet) {
    HItem it = heap_pop(&S->heap);
    int32_t v = (int32_t)it.node;
    if (S->flag[v] & 1 || it.key > S->dist[v]) return 0;
    S->flag[v] |= 1;
    double dv = S->dist[v];
    if (T->dist[v] < INFINITY && dv + T->dist[v] < *best) {
        *best = dv + T->dist[v];
        *meet = v;
    }
    /* stall-on-demand: v is reached more cheaply through a higher node of the other
     * direction's arcs, so its own arcs lead nowhere a shortest path goes */
    for (int64_t a = S->optr[v]; a < S->optr[v + 1]; a++) {
        int32_t y = S->onb[a];
        if (S->dist[y] + S->ow[a] < dv) {
            S->flag[v] |= 2;
            return 0;
        }
    }
    for (int64_t a = S->ptr[v]; a < S->ptr[v + 1]; a++) {
        int32_t y = S->nb[a];
        double nd = dv + S->w[a];
        if (nd < S->dist[y] && side_reach(S, y, nd, S->edge[a])) return -1;
    }
    return 0;
}

static void side_reset(Side *S) {
    for (Py_ssize_t i = 0; i < S->nt; i++) {
        int32_t v = S->touched[i];
        S->dist[v] = INFINITY;
        S->pred[v] = -2;
        S->flag[v] = 0;
    }
    S->nt = 0;
    S->heap.n = 0;
}

typedef struct {
    int64_t *a;
    Py_ssize_t n, cap;
} LVec;

/* Append the input arcs of edge e to out, in path order (stack: a scratch vector). */
static int unpack(LVec *out, const int32_t *c1, const int32_t *c2, const int64_t *arc,
                  int64_t ne, int32_t e, IVec *stack) {
    stack->n = 0;
    if (iv_push(stack, e)) return -1;
    while (stack->n) {
        int32_t x = stack->a[--stack->n];
        if (x < 0 || x >= ne) return -2;
        if (arc[x] >= 0) {
            if (out->n == out->cap) {
                Py_ssize_t cap = out->cap ? 2 * out->cap : 256;
                int64_t *a = realloc(out->a, (size_t)cap * sizeof(int64_t));
                if (!a) return -1;
                out->a = a;
                out->cap = cap;
            }
            out->a[out->n++] = arc[x];
            continue;
        }
        if (stack->n > ne || iv_push(stack, c2[x]) || iv_push(stack, c1[x])) return -1;
    }
    return 0;
}

#define Q_ARGS 25

/* ch_query(up_ptr, up_head, up_w, up_edge, dn_ptr, dn_tail, dn_w, dn_edge, e_from, e_to,
 *          c1, c2, arc, src, sc, tgt, tc, fdist, fpred, fflag, ftouched, bdist, bpred,
 *          bflag, btouched) -> (cost, meet, input arc positions as int64 bytes) or None.  The workspaces
 * (n each) hold INFINITY, -2 and 0 on entry and are left so. */
PyObject *ch_query(PyObject *self, PyObject *args) {
    PyObject *o[Q_ARGS];
    if (!PyArg_ParseTuple(args, "OOOOOOOOOOOOOOOOOOOOOOOOO", &o[0], &o[1], &o[2], &o[3], &o[4],
                          &o[5], &o[6], &o[7], &o[8], &o[9], &o[10], &o[11], &o[12], &o[13],
                          &o[14], &o[15], &o[16], &o[17], &o[18], &o[19], &o[20], &o[21],
                          &o[22], &o[23], &o[24]))
        return NULL;
    static const char *fmt[Q_ARGS] = {"i", "i", "d", "i", "i", "i", "d", "i", "i",
                                      "i", "i", "i", "i", "i", "d", "i", "d", "d",
                                      "i", "b", "i", "d", "i", "b", "i"};
    static const Py_ssize_t size[Q_ARGS] = {8, 4, 8, 4, 8, 4, 8, 4, 4, 4, 4, 4, 8,
                                            8, 8, 8, 8, 8, 8, 1, 4, 8, 8, 1, 4};
    static const char *name[Q_ARGS] = {
        "up_ptr", "up_head", "up_w", "up_edge", "dn_ptr", "dn_tail", "dn_w",
        "dn_edge", "e_from", "e_to", "c1", "c2", "arc", "src",
        "sc", "tgt", "tc", "fdist", "fpred", "fflag", "ftouch",
        "bdist", "bpred", "bflag", "btouch"};
    Buf b[Q_ARGS];
    memset(b, 0, sizeof(b));
    PyObject *ret = NULL;
    IVec stack = {0}, fe = {0};
    LVec arcs = {0};
    Side F = {0}, B = {0};
    for (int i = 0; i < Q_ARGS; i++)
        if (get_buf(o[i], &b[i], fmt[i], size[i], i >= 17, name[i])) goto done;
    Py_ssize_t n = LEN(b[0], 8) - 1, ne = LEN(b[8], 4), ns = LEN(b[13], 8), nt = LEN(b[15], 8);
    const int64_t *up_ptr = b[0].view.buf, *dn_ptr = b[4].view.buf;
    int bad = n < 0 || LEN(b[4], 8) != n + 1 || LEN(b[1], 4) != up_ptr[n] ||
              LEN(b[2], 8) != up_ptr[n] || LEN(b[3], 4) != up_ptr[n] ||
              LEN(b[5], 4) != dn_ptr[n] || LEN(b[6], 8) != dn_ptr[n] || LEN(b[7], 4) != dn_ptr[n];
    for (int i = 9; i < 13 && !bad; i++) bad = LEN(b[i], size[i]) != ne;
    bad = bad || LEN(b[14], 8) != ns || LEN(b[16], 8) != nt;
    for (int i = 17; i < Q_ARGS && !bad; i++) bad = LEN(b[i], size[i]) != n;
    const int64_t *sv = b[13].view.buf, *tv = b[15].view.buf;
    for (Py_ssize_t i = 0; i < ns && !bad; i++) bad = sv[i] < 0 || sv[i] >= n;
    for (Py_ssize_t i = 0; i < nt && !bad; i++) bad = tv[i] < 0 || tv[i] >= n;
    if (bad) {
        PyErr_SetString(PyExc_ValueError, "ch_query: inconsistent arrays");
        goto done;
    }
    F = (Side){up_ptr, b[1].view.buf, b[3].view.buf, b[2].view.buf, dn_ptr, b[5].view.buf,
               b[6].view.buf, b[17].view.buf, b[18].view.buf, b[19].view.buf, b[20].view.buf,
               0, {0}};
    B = (Side){dn_ptr, b[5].view.buf, b[7].view.buf, b[6].view.buf, up_ptr, b[1].view.buf,
               b[2].view.buf, b[21].view.buf, b[22].view.buf, b[23].view.buf, b[24].view.buf,
               0, {0}};
    const double *scv = b[14].view.buf, *tcv = b[16].view.buf;
    const int32_t *efrom = b[8].view.buf, *eto = b[9].view.buf, *c1 = b[10].view.buf,
                  *c2 = b[11].view.buf;
    const int64_t *arcv = b[12].view.buf;
    double best = INFINITY;
    int32_t meet = -1;
    int oom = 0, broken = 0;
    Py_BEGIN_ALLOW_THREADS;
    for (Py_ssize_t i = 0; i < ns && !oom; i++)
        if (scv[i] < F.dist[sv[i]]) oom = side_reach(&F, (int32_t)sv[i], scv[i], -1);
    for (Py_ssize_t i = 0; i < nt && !oom; i++)
        if (tcv[i] < B.dist[tv[i]]) oom = side_reach(&B, (int32_t)tv[i], tcv[i], -1);
    while (!oom && (F.heap.n || B.heap.n)) {
        double kf = F.heap.n ? F.heap.a[0].key : INFINITY;
        double kb = B.heap.n ? B.heap.a[0].key : INFINITY;
        if ((kf < kb ? kf : kb) >= best) break;
        oom = kf <= kb ? side_step(&F, &B, &best, &meet) : side_step(&B, &F, &best, &meet);
    }
    /* the edge ids from meet back to a source (forward predecessors, reversed below) */
    for (int32_t v = meet; !oom && v >= 0 && F.pred[v] >= 0; v = efrom[F.pred[v]]) {
        if (fe.n > n || F.pred[v] >= ne) {
            broken = 1;
            break;
        }
        if (iv_push(&fe, (int32_t)F.pred[v])) oom = 1;
    }
    Py_END_ALLOW_THREADS;
    if (oom || broken) {
        if (broken) PyErr_SetString(PyExc_ValueError, "ch_query: broken hierarchy");
        else PyErr_NoMemory();
        goto cleanup;
    }
    if (meet < 0) {
        ret = Py_None;
        Py_INCREF(ret);
        goto cleanup;
    }
    int r = 0;
    for (Py_ssize_t i = fe.n - 1; i >= 0 && !r; i--)
        r = unpack(&arcs, c1, c2, arcv, ne, fe.a[i], &stack);
    /* then from meet down to a target: backward predecessors point along the path */
    Py_ssize_t steps = 0;
    for (int32_t v = meet; !r && B.pred[v] >= 0; v = eto[B.pred[v]]) {
        if (B.pred[v] >= ne || ++steps > n) {
            r = -2;
            break;
        }
        r = unpack(&arcs, c1, c2, arcv, ne, (int32_t)B.pred[v], &stack);
    }
    if (r) {
        if (r == -2) PyErr_SetString(PyExc_ValueError, "ch_query: broken hierarchy");
        else if (!PyErr_Occurred()) PyErr_NoMemory();
        goto cleanup;
    }
    ret = Py_BuildValue("(diN)", best, (int)meet, bytes_of(arcs.a, arcs.n * 8));
cleanup:
    side_reset(&F);
    side_reset(&B);
done:
    free(F.heap.a), free(B.heap.a), free(stack.a), free(fe.a), free(arcs.a);
    for (int i = 0; i < Q_ARGS; i++) rel(&b[i]);
    return ret;
}
