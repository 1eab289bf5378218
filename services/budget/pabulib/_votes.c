/* Splitting clean VOTES lines in C: the optional accelerator of votes.clean_batch.
 *
 * split_clean(lines, width, voter_at, vote_at, extra, projects, seen, ordered) returns (voter_ids, votes, fields) for a
 * run of lines that clean_batch would accept on these grounds: every row exactly `width`
 * cells wide once trailing CR/LF are stripped, a non-empty voter id (stripped as str.strip strips), a vote
 * whose comma-separated items are each exactly a known project id and each named once. The extra columns
 * come back stripped, empty and "None" cells as None. Anything else returns None and the caller takes the
 * Python path, so this function may refuse more than clean_batch but never accepts what it would refuse.
 * A voter id must be in neither `seen` (the set of the lines before) nor an earlier line: `seen` gains the
 * ids of an accepted run and is left as it was when the run is refused. A vote is a tuple of the projects'
 * own id objects, so a million ballots make no string per approval; with `ordered` true its projects are in the
 * order of `projects` (the PROJECTS section's, as the import stores them), else in the line's order.
 *
 * The import's two other loops over a million ballots live here too, so one optional extension serves it:
 * copy_ballots (their binary COPY stream) and order_of (their order by voter hash); see each one's comment.
 */
#define PY_SSIZE_T_CLEAN
#include <Python.h>
#include <stdint.h>
#include <string.h>

typedef struct {
    const char *data;
    Py_ssize_t len;
    Py_ssize_t index;
} Slot;

typedef struct {
    Slot *slots;
    size_t mask;
} Table;

static size_t hash_bytes(const char *s, Py_ssize_t n) {
    size_t h = 1469598103934665603ULL;
    for (Py_ssize_t i = 0; i < n; i++) {
        h ^= (unsigned char)s[i];
        h *= 1099511628211ULL;
    }
    return h;
}

static Py_ssize_t table_find(const Table *t, const char *s, Py_ssize_t n) {
    size_t i = hash_bytes(s, n) & t->mask;
    for (;;) {
        const Slot *slot = &t->slots[i];
        if (slot->data == NULL) return -1;
        if (slot->len == n && memcmp(slot->data, s, (size_t)n) == 0) return slot->index;
        i = (i + 1) & t->mask;
    }
}

/* The code point of the UTF-8 sequence at p (valid UTF-8: it comes from a str), and its length. */
static Py_UCS4 decode(const unsigned char *p, int *len) {
    if (p[0] < 0x80) { *len = 1; return p[0]; }
    if (p[0] < 0xe0) { *len = 2; return ((Py_UCS4)(p[0] & 0x1f) << 6) | (p[1] & 0x3f); }
    if (p[0] < 0xf0) {
        *len = 3;
        return ((Py_UCS4)(p[0] & 0x0f) << 12) | ((Py_UCS4)(p[1] & 0x3f) << 6) | (p[2] & 0x3f);
    }
    *len = 4;
    return ((Py_UCS4)(p[0] & 0x07) << 18) | ((Py_UCS4)(p[1] & 0x3f) << 12) | ((Py_UCS4)(p[2] & 0x3f) << 6) |
           (p[3] & 0x3f);
}

/* What str.strip() removes, on a UTF-8 slice: every leading and trailing character Python calls a space. */
static void strip(const char **s, Py_ssize_t *n) {
    const unsigned char *p = (const unsigned char *)*s, *e = p + *n;
    int len;
    while (p < e && Py_UNICODE_ISSPACE(decode(p, &len))) p += len;
    while (e > p) {
        const unsigned char *q = e - 1;
        while (q > p && (*q & 0xc0) == 0x80) q--; /* back to the first byte of the last character */
        if (!Py_UNICODE_ISSPACE(decode(q, &len))) break;
        e = q;
    }
    *s = (const char *)p;
    *n = e - p;
}

static PyObject *split_clean(PyObject *self, PyObject *args) {
    PyObject *lines, *extra, *projects, *seen;
    Py_ssize_t width, voter_at, vote_at, added = 0;
    int ordered;
    if (!PyArg_ParseTuple(args, "O!nnnO!O!O!p", &PyList_Type, &lines, &width, &voter_at, &vote_at, &PyTuple_Type,
                          &extra, &PyTuple_Type, &projects, &PySet_Type, &seen, &ordered))
        return NULL;
    Py_ssize_t n_lines = PyList_GET_SIZE(lines), n_extra = PyTuple_GET_SIZE(extra);
    Py_ssize_t n_projects = PyTuple_GET_SIZE(projects);
    if (width < 2 || width > 4096 || voter_at < 0 || voter_at >= width || vote_at < 0 || vote_at >= width) {
        PyErr_SetString(PyExc_ValueError, "bad layout");
        return NULL;
    }
    Py_ssize_t *extra_at = PyMem_Calloc((size_t)n_extra + 1, sizeof(Py_ssize_t));
    Slot *last = PyMem_Calloc((size_t)n_extra + 1, sizeof(Slot)); /* per column: the value made last */
    const char **starts = PyMem_Calloc((size_t)width, sizeof(char *));
    Py_ssize_t *lens = PyMem_Calloc((size_t)width, sizeof(Py_ssize_t));
    Py_ssize_t *stamp = PyMem_Calloc((size_t)n_projects + 1, sizeof(Py_ssize_t));
    Py_ssize_t *items = PyMem_Calloc((size_t)n_projects + 1, sizeof(Py_ssize_t)); /* one vote's indexes */
    size_t size = 8;
    while (size < 2 * (size_t)n_projects + 2) size <<= 1;
    Table table = {PyMem_Calloc(size, sizeof(Slot)), size - 1};
    PyObject *voter_ids = PyList_New(n_lines), *votes = PyList_New(n_lines), *fields = PyTuple_New(n_extra);
    PyObject *result = NULL;
    if (!extra_at || !last || !starts || !lens || !stamp || !items || !table.slots || !voter_ids || !votes ||
        !fields) {
        if (!PyErr_Occurred()) PyErr_NoMemory();
        goto done;
    }
    for (Py_ssize_t k = 0; k < n_extra; k++) {
        extra_at[k] = PyLong_AsSsize_t(PyTuple_GET_ITEM(extra, k));
        if (extra_at[k] == -1 && PyErr_Occurred()) goto done;
        if (extra_at[k] < 0 || extra_at[k] >= width) {
            PyErr_SetString(PyExc_ValueError, "bad layout");
            goto done;
        }
        PyObject *column = PyList_New(n_lines);
        if (!column) goto done;
        PyTuple_SET_ITEM(fields, k, column);
    }
    for (Py_ssize_t j = 0; j < n_projects; j++) {
        PyObject *id = PyTuple_GET_ITEM(projects, j);
        Py_ssize_t n;
        const char *s = PyUnicode_Check(id) ? PyUnicode_AsUTF8AndSize(id, &n) : NULL;
        if (!s) goto refuse; /* not a str, or a lone surrogate */
        size_t i = hash_bytes(s, n) & table.mask;
        while (table.slots[i].data != NULL) i = (i + 1) & table.mask;
        table.slots[i] = (Slot){s, n, j};
    }
    for (Py_ssize_t row = 0; row < n_lines; row++) {
        PyObject *line = PyList_GET_ITEM(lines, row);
        Py_ssize_t len;
        const char *p = PyUnicode_Check(line) ? PyUnicode_AsUTF8AndSize(line, &len) : NULL;
        if (!p) goto refuse;
        while (len > 0 && (p[len - 1] == '\n' || p[len - 1] == '\r')) len--;
        Py_ssize_t cells = 0, start = 0;
        for (Py_ssize_t i = 0; i <= len; i++) {
            if (i == len || p[i] == ';') {
                if (cells == width) goto refuse;
                starts[cells] = p + start;
                lens[cells] = i - start;
                cells++;
                start = i + 1;
            }
        }
        if (cells != width) goto refuse;

        const char *s = starts[voter_at];
        Py_ssize_t n = lens[voter_at];
        strip(&s, &n);
        if (n == 0) goto refuse;
        PyObject *voter_id = PyUnicode_DecodeUTF8(s, n, NULL);
        if (!voter_id) goto done;
        PyList_SET_ITEM(voter_ids, row, voter_id);
        int known = PySet_Contains(seen, voter_id);
        if (known < 0) goto done;
        if (known) goto refuse;
        if (PySet_Add(seen, voter_id) < 0) goto done;
        added = row + 1;

        s = starts[vote_at];
        const char *end = s + lens[vote_at];
        Py_ssize_t count = 0;
        for (;;) {
            const char *comma = memchr(s, ',', (size_t)(end - s));
            const char *stop = comma ? comma : end;
            Py_ssize_t j = table_find(&table, s, stop - s);
            if (j < 0 || stamp[j] == row + 1) goto refuse; /* unknown (or empty), or named twice */
            stamp[j] = row + 1;
            items[count++] = j;
            if (!comma) break;
            s = comma + 1;
        }
        if (ordered) { /* insertion sort: a ballot names a handful of projects */
            for (Py_ssize_t i = 1; i < count; i++) {
                Py_ssize_t j = items[i], k = i;
                for (; k > 0 && items[k - 1] > j; k--) items[k] = items[k - 1];
                items[k] = j;
            }
        }
        PyObject *vote = PyTuple_New(count);
        if (!vote) goto done;
        for (Py_ssize_t i = 0; i < count; i++) {
            PyObject *id = PyTuple_GET_ITEM(projects, items[i]);
            Py_INCREF(id);
            PyTuple_SET_ITEM(vote, i, id);
        }
        /* strings only: never part of a cycle, so the collector need not scan a million of them */
        PyObject_GC_UnTrack(vote);
        PyList_SET_ITEM(votes, row, vote);

        for (Py_ssize_t k = 0; k < n_extra; k++) {
            s = starts[extra_at[k]];
            n = lens[extra_at[k]];
            strip(&s, &n);
            PyObject *value;
            if (n == 0 || (n == 4 && memcmp(s, "None", 4) == 0)) {
                value = Py_None;
                Py_INCREF(value);
            } else if (last[k].data != NULL && last[k].len == n && memcmp(last[k].data, s, (size_t)n) == 0) {
                /* repeated values (a sex, a voting method) share one object, borrowed from its list */
                value = PyList_GET_ITEM(PyTuple_GET_ITEM(fields, k), last[k].index);
                Py_INCREF(value);
            } else {
                value = PyUnicode_DecodeUTF8(s, n, NULL);
                if (!value) goto done;
                last[k] = (Slot){s, n, row};
            }
            PyList_SET_ITEM(PyTuple_GET_ITEM(fields, k), row, value);
        }
    }
    result = PyTuple_Pack(3, voter_ids, votes, fields);
    if (result) goto accepted;
    goto done;
refuse:
    PyErr_Clear(); /* a str that has no UTF-8 form (a lone surrogate) is refused, not an error */
    result = Py_None;
    Py_INCREF(result);
done: /* refused or failed: the ids this call added leave `seen` again */
    {
        PyObject *type, *value, *traceback;
        PyErr_Fetch(&type, &value, &traceback);
        for (Py_ssize_t row = 0; row < added; row++) {
            if (PySet_Discard(seen, PyList_GET_ITEM(voter_ids, row)) < 0) {
                Py_CLEAR(result);
                break;
            }
        }
        if (type) PyErr_Restore(type, value, traceback);
    }
accepted:
    Py_XDECREF(voter_ids);
    Py_XDECREF(votes);
    Py_XDECREF(fields);
    PyMem_Free(extra_at);
    PyMem_Free(last);
    PyMem_Free(starts);
    PyMem_Free(lens);
    PyMem_Free(stamp);
    PyMem_Free(items);
    PyMem_Free(table.slots);
    return result;
}

/* copy_ballots(election_id, voter_hashes, groups, votes) -> bytes: one whole PostgreSQL binary COPY stream
 * (signature, rows, trailer) of the columns (election_id int4, voter_hash bytea, voter_group text,
 * project_ids text[]) of budget.ballots, a row per ballot: what asyncpg's copy_records_to_table sends for
 * the same records, made here without a Python call per value. `groups` is one str for every ballot or a
 * list of one per ballot; `votes` holds a sequence of str per ballot. services/budget/elections/ballot_copy.py
 * has the Python encoder it must equal, byte for byte. */
#define TEXT_OID 25

static int put_be32(unsigned char **w, Py_ssize_t v) {
    unsigned char *p = *w;
    p[0] = (unsigned char)((v >> 24) & 0xff);
    p[1] = (unsigned char)((v >> 16) & 0xff);
    p[2] = (unsigned char)((v >> 8) & 0xff);
    p[3] = (unsigned char)(v & 0xff);
    *w = p + 4;
    return 0;
}

static const char *utf8_of(PyObject *text, Py_ssize_t *n) {
    if (!PyUnicode_Check(text)) {
        PyErr_SetString(PyExc_TypeError, "a voter group and a project id must be str");
        return NULL;
    }
    const char *s = PyUnicode_AsUTF8AndSize(text, n);
    if (s && *n > 0x3fffffff) {
        PyErr_SetString(PyExc_ValueError, "a value is longer than PostgreSQL takes");
        return NULL;
    }
    return s;
}

static PyObject *copy_ballots(PyObject *self, PyObject *args) {
    long election_id;
    PyObject *hashes, *groups, *votes;
    if (!PyArg_ParseTuple(args, "lO!OO!", &election_id, &PyList_Type, &hashes, &groups, &PyList_Type, &votes))
        return NULL;
    if (election_id < INT32_MIN || election_id > INT32_MAX) {
        PyErr_SetString(PyExc_OverflowError, "election_id is not an int4");
        return NULL;
    }
    Py_ssize_t rows = PyList_GET_SIZE(hashes);
    int one_group = PyUnicode_Check(groups);
    if (!one_group && !(PyList_Check(groups) && PyList_GET_SIZE(groups) == rows)) {
        PyErr_SetString(PyExc_ValueError, "groups: one str, or a list of one per ballot");
        return NULL;
    }
    if (PyList_GET_SIZE(votes) != rows) {
        PyErr_SetString(PyExc_ValueError, "as many votes as voter hashes");
        return NULL;
    }
    PyObject **fast = PyMem_Calloc((size_t)rows + 1, sizeof(PyObject *)); /* each vote as a list or tuple */
    PyObject *result = NULL;
    if (!fast) return PyErr_NoMemory();
    Py_ssize_t size = 11 + 4 + 4 + 2, n; /* signature, flags, extension length ... trailer */
    for (Py_ssize_t row = 0; row < rows; row++) {
        PyObject *hash = PyList_GET_ITEM(hashes, row);
        if (!PyBytes_Check(hash) || PyBytes_GET_SIZE(hash) > 0x3fffffff) {
            PyErr_SetString(PyExc_TypeError, "a voter hash must be bytes");
            goto done;
        }
        PyObject *group = one_group ? groups : PyList_GET_ITEM(groups, row);
        if (!utf8_of(group, &n)) goto done;
        size += 2 + 8 + 4 + PyBytes_GET_SIZE(hash) + 4 + n + 4;
        fast[row] = PySequence_Fast(PyList_GET_ITEM(votes, row), "a vote must be a sequence of str");
        if (!fast[row]) goto done;
        Py_ssize_t items = PySequence_Fast_GET_SIZE(fast[row]);
        size += items ? 20 : 12; /* ndim, has-nulls, element type, [size, lower bound] */
        PyObject **item = PySequence_Fast_ITEMS(fast[row]);
        for (Py_ssize_t i = 0; i < items; i++) {
            if (!utf8_of(item[i], &n)) goto done;
            size += 4 + n;
        }
        if (size > PY_SSIZE_T_MAX / 2) {
            PyErr_NoMemory();
            goto done;
        }
    }
    result = PyBytes_FromStringAndSize(NULL, size);
    if (!result) goto done;
    unsigned char *w = (unsigned char *)PyBytes_AS_STRING(result), *row_start;
    memcpy(w, "PGCOPY\n\377\r\n\0", 11);
    w += 11;
    put_be32(&w, 0);
    put_be32(&w, 0);
    for (Py_ssize_t row = 0; row < rows; row++) {
        PyObject *hash = PyList_GET_ITEM(hashes, row);
        PyObject *group = one_group ? groups : PyList_GET_ITEM(groups, row);
        *w++ = 0;
        *w++ = 4; /* fields */
        put_be32(&w, 4);
        put_be32(&w, (Py_ssize_t)(uint32_t)(int32_t)election_id);
        put_be32(&w, PyBytes_GET_SIZE(hash));
        memcpy(w, PyBytes_AS_STRING(hash), (size_t)PyBytes_GET_SIZE(hash));
        w += PyBytes_GET_SIZE(hash);
        const char *s = PyUnicode_AsUTF8AndSize(group, &n); /* cached by the first pass */
        put_be32(&w, n);
        memcpy(w, s, (size_t)n);
        w += n;
        Py_ssize_t items = PySequence_Fast_GET_SIZE(fast[row]);
        PyObject **item = PySequence_Fast_ITEMS(fast[row]);
        row_start = w;
        w += 4; /* the array's length, known once written */
        put_be32(&w, items ? 1 : 0);
        put_be32(&w, 0);
        put_be32(&w, TEXT_OID);
        if (items) {
            put_be32(&w, items);
            put_be32(&w, 1);
        }
        for (Py_ssize_t i = 0; i < items; i++) {
            s = PyUnicode_AsUTF8AndSize(item[i], &n);
            put_be32(&w, n);
            memcpy(w, s, (size_t)n);
            w += n;
        }
        Py_ssize_t length = w - row_start - 4;
        if (length > 0x3fffffff) {
            PyErr_SetString(PyExc_ValueError, "a ballot is longer than PostgreSQL takes");
            Py_CLEAR(result);
            goto done;
        }
        put_be32(&row_start, length);
    }
    *w++ = 0xff;
    *w++ = 0xff;
    assert(w == (unsigned char *)PyBytes_AS_STRING(result) + size);
done:
    for (Py_ssize_t row = 0; row < rows; row++) Py_XDECREF(fast[row]);
    PyMem_Free(fast);
    return result;
}

/* order_of(keys) -> list[int]: the indexes of a list of bytes in the order of their values (bytes' own order:
 * memcmp, then length; equal values by index), as sorted(range(len(keys)), key=keys.__getitem__) gives. */
typedef struct {
    uint64_t head; /* the first 8 bytes, big-endian, zero-padded: most comparisons end here, in cache */
    const char *data;
    Py_ssize_t len;
    Py_ssize_t index;
} Key;

static int key_cmp(const void *a, const void *b) {
    const Key *x = a, *y = b;
    if (x->head != y->head) return x->head < y->head ? -1 : 1;
    Py_ssize_t n = x->len < y->len ? x->len : y->len;
    int c = memcmp(x->data, y->data, (size_t)n);
    if (c) return c;
    if (x->len != y->len) return x->len < y->len ? -1 : 1;
    return x->index < y->index ? -1 : (x->index > y->index);
}

static PyObject *order_of(PyObject *self, PyObject *keys) {
    if (!PyList_Check(keys)) {
        PyErr_SetString(PyExc_TypeError, "keys must be a list of bytes");
        return NULL;
    }
    Py_ssize_t n = PyList_GET_SIZE(keys);
    Key *sorted = PyMem_Malloc(((size_t)n + 1) * sizeof(Key));
    if (!sorted) return PyErr_NoMemory();
    for (Py_ssize_t i = 0; i < n; i++) {
        PyObject *key = PyList_GET_ITEM(keys, i);
        if (!PyBytes_Check(key)) {
            PyMem_Free(sorted);
            PyErr_SetString(PyExc_TypeError, "keys must be a list of bytes");
            return NULL;
        }
        const unsigned char *data = (const unsigned char *)PyBytes_AS_STRING(key);
        uint64_t head = 0;
        for (Py_ssize_t k = 0; k < 8; k++) head = (head << 8) | (k < PyBytes_GET_SIZE(key) ? data[k] : 0);
        sorted[i] = (Key){head, (const char *)data, PyBytes_GET_SIZE(key), i};
    }
    /* no Python code runs while the pointers into the list's bytes are held */
    qsort(sorted, (size_t)n, sizeof(Key), key_cmp);
    PyObject *order = PyList_New(n);
    for (Py_ssize_t i = 0; order && i < n; i++) {
        PyObject *index = PyLong_FromSsize_t(sorted[i].index);
        if (!index) Py_CLEAR(order);
        else PyList_SET_ITEM(order, i, index);
    }
    PyMem_Free(sorted);
    return order;
}

static PyMethodDef methods[] = {
    {"split_clean", split_clean, METH_VARARGS, "Split clean VOTES lines column by column, or None (see the module comment)."},
    {"copy_ballots", copy_ballots, METH_VARARGS, "One binary COPY stream of ballot rows (see copy_ballots' comment)."},
    {"order_of", order_of, METH_O, "The indexes of a list of bytes in the order of their values."},
    {NULL, NULL, 0, NULL},
};

static struct PyModuleDef module = {PyModuleDef_HEAD_INIT, "_votes", NULL, -1, methods};

PyMODINIT_FUNC PyInit__votes(void) { return PyModule_Create(&module); }
