/*
 * Shared by the compiled modules of the routing package (_kernel.c, _ch.c, _cch.c): buffer
 * access through the buffer protocol with dtype checks, results as bytes, and a binary heap
 * of (key, hops, node).
 */
#ifndef ROUTING_COMMON_H
#define ROUTING_COMMON_H
#define PY_SSIZE_T_CLEAN
#include <Python.h>
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

/* ------------------------------------------------------------------ buffers */

typedef struct {
    Py_buffer view;
    int held;
} Buf;

static int get_buf(PyObject *obj, Buf *b, const char *fmt, Py_ssize_t itemsize, int writable,
                   const char *name) {
    b->held = 0;
    if (PyObject_GetBuffer(obj, &b->view,
                           PyBUF_C_CONTIGUOUS | PyBUF_FORMAT | (writable ? PyBUF_WRITABLE : 0)) <
        0)
        return -1;
    b->held = 1;
    const char *f = b->view.format ? b->view.format : "B";
    if (f[0] == '<' || f[0] == '=' || f[0] == '@') f++;
    int ok = b->view.itemsize == itemsize;
    if (ok && fmt[0] == 'd') ok = f[0] == 'd';
    if (ok && fmt[0] == 'i') ok = (f[0] == 'i' || f[0] == 'l' || f[0] == 'q');
    if (ok && fmt[0] == 'b') ok = (f[0] == '?' || f[0] == 'b' || f[0] == 'B');
    if (!ok) {
        PyErr_Format(PyExc_TypeError, "%s: wrong dtype (%s, itemsize %zd)", name, f,
                     b->view.itemsize);
        PyBuffer_Release(&b->view);
        b->held = 0;
        return -1;
    }
    return 0;
}

static void rel(Buf *b) {
    if (b->held) PyBuffer_Release(&b->view);
    b->held = 0;
}

#define LEN(b, sz) ((b).view.len / (sz))

/* qsort's comparison of int32 values */
static inline int cmp_i32(const void *x, const void *y) {
    int32_t a = *(const int32_t *)x, b = *(const int32_t *)y;
    return (a > b) - (a < b);
}

/* len bytes at p as a Python bytes object (an empty one for len 0, whatever p is) */
static inline PyObject *bytes_of(const void *p, Py_ssize_t len) {
    return PyBytes_FromStringAndSize(len ? (const char *)p : "", len);
}

/* ------------------------------------------------------------------ heap of (key, hops, node) */

/* Ties on the key are broken by the number of arcs (fewer first), so that among paths of
 * equal weight the one with the fewest arcs is found (e.g. no needless transload). */
typedef struct {
    double key;
    int64_t hops;
    int64_t node;
} HItem;

typedef struct {
    HItem *a;
    Py_ssize_t n, cap;
    int borrowed; /* a is the caller's buffer: never reallocated or freed here */
} Heap;

static inline int h_less(const HItem *x, const HItem *y) {
    return x->key < y->key || (x->key == y->key && x->hops < y->hops);
}

static inline int heap_push(Heap *h, double key, int64_t hops, int64_t node) {
    if (h->n == h->cap) {
        Py_ssize_t cap = h->cap ? 2 * h->cap : 1024;
        HItem *a;
        if (h->borrowed) { /* outgrown the caller's buffer: continue in our own */
            a = malloc((size_t)cap * sizeof(HItem));
            if (a && h->n) memcpy(a, h->a, (size_t)h->n * sizeof(HItem));
        } else
            a = realloc(h->a, (size_t)cap * sizeof(HItem));
        if (!a) return -1;
        h->a = a;
        h->cap = cap;
        h->borrowed = 0;
    }
    HItem it = {key, hops, node};
    Py_ssize_t i = h->n++;
    while (i > 0) {
        Py_ssize_t p = (i - 1) >> 1;
        if (!h_less(&it, &h->a[p])) break;
        h->a[i] = h->a[p];
        i = p;
    }
    h->a[i] = it;
    return 0;
}

static inline HItem heap_pop(Heap *h) {
    HItem top = h->a[0];
    HItem last = h->a[--h->n];
    Py_ssize_t i = 0, n = h->n;
    for (;;) {
        Py_ssize_t c = 2 * i + 1;
        if (c >= n) break;
        if (c + 1 < n && h_less(&h->a[c + 1], &h->a[c])) c++;
        if (!h_less(&h->a[c], &last)) break;
        h->a[i] = h->a[c];
        i = c;
    }
    if (n) h->a[i] = last;
    return top;
}

/* contraction hierarchies (_ch.c) */
PyObject *ch_build(PyObject *self, PyObject *args);
PyObject *ch_query(PyObject *self, PyObject *args);

/* customisable contraction hierarchies (_cch.c) */
PyObject *cch_build(PyObject *self, PyObject *args);
PyObject *cch_customise(PyObject *self, PyObject *args);
PyObject *cch_update(PyObject *self, PyObject *args);
PyObject *cch_query(PyObject *self, PyObject *args);

#endif
