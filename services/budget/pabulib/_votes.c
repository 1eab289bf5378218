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
 */
#define PY_SSIZE_T_CLEAN
#include <Python.h>
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

static PyMethodDef methods[] = {
    {"split_clean", split_clean, METH_VARARGS, "Split clean VOTES lines column by column, or None (see the module comment)."},
    {NULL, NULL, 0, NULL},
};

static struct PyModuleDef module = {PyModuleDef_HEAD_INIT, "_votes", NULL, -1, methods};

PyMODINIT_FUNC PyInit__votes(void) { return PyModule_Create(&module); }
