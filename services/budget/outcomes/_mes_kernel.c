/*
 * One run of the Method of Equal Shares in float64, certified against exact arithmetic.
 *
 * services/budget/outcomes/mes_kernel.py loads this library with ctypes; equal_shares.py holds
 * the exact (rational) reference that this file mirrors step by step.
 *
 * Every voter's budget is kept as an affine function a + c * b of the per-voter budget b, and
 * every branch the run takes is a sign condition f(b) = c0 + c1 * b < 0 on such functions
 * (a project is unaffordable, a voter pays all she has, one project is cheaper per unit of
 * utility than another). Running error analysis bounds how far each computed coefficient can
 * be from its exact value: every budget carries bounds ea, eb on the error of its a and c
 * parts, every sum adds gamma times the sizes of its terms (gamma = mes_kernel.tolerance, four
 * times what a sum of the longest length can err by), and every payment adds the error of
 * its price. A branch whose condition cannot be certified with those bounds (an exact tie, or
 * a value too close to zero) makes the run "uncertain": the caller then redoes that step
 * exactly. A certified run's outcome is the exact outcome.
 *
 * Like the exact engine, a run also proves the largest Add1 step k_max up to which every
 * certified condition keeps its sign, so Add1 can jump straight past those steps.
 */
#include <math.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#if defined(__unix__) || defined(__APPLE__)
#include <sys/mman.h>
#endif

typedef struct {
    int m;                    /* projects */
    int n;                    /* distinct ballots */
    const double *cost;       /* [m] */
    const double *scale;      /* [m] utility of one point: the cost (approval) or 1 (points) */
    const double *total_util; /* [m] sum of weight * points over supporters */
    const int *rank;          /* [m] tie-break rank, 0 = preferred */
    const int *eligible;      /* [n_eligible] projects MES may fund */
    int n_eligible;
    const int *indptr;        /* [m + 1] supporters of project j: indptr[j] .. indptr[j+1] */
    const int *ballot;        /* [nnz] supporting ballot */
    const double *points;     /* [nnz] its points (1 for approval) */
    const double *weight;     /* [n] multiplicity of each distinct ballot */
} mes_problem;

typedef struct {
    double b;       /* per-voter budget of this run: start + k * step */
    double start;
    double step;
    long long k;
    int track;      /* compute k_max */
    double tol;     /* gamma: relative error bound of one sum, product or quotient */
} mes_params;

typedef struct {
    int n_selected;
    int uncertain;
    int has_limit;       /* 0: every branch holds for all larger b */
    long long k_max;
} mes_result;

typedef struct {
    double price, price_a, price_b; /* per point; affine parts */
    double epa, epb;                /* error bounds of price_a, price_b */
    int simple;                     /* nobody poor: price = cost / total_util, whatever b */
} evaluation;

/* One distinct ballot's budget a + c * b with the error bounds of a and c; kept together, as every
 * use reads all four, so that a supporter costs one cache line rather than four. */
typedef struct {
    double a, c, ea, ec;
    double w; /* the ballot's weight, copied here so that a supporter's visit touches one place */
} voter;

/* A supporter of the project being priced, copied out of the voters once per pricing: the later
 * passes over the supporters then read memory in order instead of jumping across all ballots. */
typedef struct {
    double a, c, ea, ec; /* the voter's budget and its error bounds */
    double w, u;         /* her ballot's weight and her points for the project */
    double value;        /* a + c * b */
} supporter;

typedef struct {
    const mes_problem *p;
    const mes_params *q;
    voter *v;            /* [n] */
    supporter *scratch;  /* [largest number of supporters of one project] */
    int uncertain;
    int has_limit;
    long long k_max;
    double b_hi;
} run_state;

/* Certify c0 + c1 * b < 0 at this run's b, given error bounds e0, e1 of the coefficients, and
 * narrow the horizon to where it keeps holding. */
static void keep(run_state *r, double c0, double c1, double e0, double e1) {
    const mes_params *q = r->q;
    double hi0 = c0 + e0;
    double hi1 = c1 + e1;
    if (hi0 + hi1 * q->b >= 0) {
        r->uncertain = 1;
        return;
    }
    if (!q->track || hi1 <= 0) return;
    if (r->has_limit && hi0 + hi1 * r->b_hi < 0) return;
    double x = (-hi0 / hi1 - q->start) / q->step;
    long long limit = x > 4e18 ? (long long)4e18 : (long long)ceil(x) - 1;
    if (limit < q->k) limit = q->k;
    if (!r->has_limit || limit < r->k_max) {
        r->has_limit = 1;
        r->k_max = limit;
        r->b_hi = q->start + (double)limit * q->step;
    }
}

static inline double budget(const run_state *r, int g) { return r->v[g].a + r->v[g].c * r->q->b; }

/* Price per point of project j for its supporters now; 0 if they cannot pay for it. */
static int evaluate(run_state *r, int j, evaluation *out, double *money_out) {
    const mes_problem *p = r->p;
    const double b = r->q->b, gamma = r->q->tol;
    const int lo = p->indptr[j], hi = p->indptr[j + 1];
    const double cost = p->cost[j];
    supporter *sup = r->scratch;
    const int count_all = hi - lo;
    double money_a = 0, money_b = 0, size_a = 0, size_b = 0, err_a = 0, err_b = 0;
    for (int s = lo; s < hi; s++) {
        int g = p->ballot[s];
        const voter *x = &r->v[g];
        double w = x->w;
        sup[s - lo] = (supporter){x->a, x->c, x->ea, x->ec, w, p->points[s], x->a + x->c * b};
        money_a += w * x->a;
        money_b += w * x->c;
        size_a += w * fabs(x->a);
        size_b += w * fabs(x->c);
        err_a += w * x->ea;
        err_b += w * x->ec;
    }
    double money = money_a + money_b * b;
    *money_out = money;
    double e0 = err_a + gamma * (size_a + cost), e1 = err_b + gamma * size_b;
    if (money < cost) {
        keep(r, money_a - cost, money_b, e0, e1);
        return 0;
    }
    keep(r, cost - money_a, -money_b, e0, e1);

    /* Raise the price from cost / utility until the set of voters who cannot pay it is stable:
     * the sequence increases to the MES price and the poor set only grows. */
    double price = cost / p->total_util[j];
    int poor = 0;
    double paid_a, paid_b, paid, den, poor_size_a, poor_size_b, poor_err_a, poor_err_b;
    for (;;) {
        int count = 0;
        paid_a = paid_b = paid = poor_size_a = poor_size_b = poor_err_a = poor_err_b = 0;
        den = p->total_util[j]; /* exact: whole weights and points, totals below 2^53 */
        for (int s = 0; s < count_all; s++) {
            const supporter *x = &sup[s];
            double u = x->u;
            double v = x->value;
            if (v < price * u) {
                double w = x->w;
                paid += w * v;
                paid_a += w * x->a;
                paid_b += w * x->c;
                poor_size_a += w * fabs(x->a);
                poor_size_b += w * fabs(x->c);
                poor_err_a += w * x->ea;
                poor_err_b += w * x->ec;
                den -= w * u;
                count++;
            }
        }
        if (den <= 0) {
            r->uncertain = 1;
            return 0;
        }
        double next = (cost - paid) / den;
        if (count == poor) {
            price = next;
            break;
        }
        poor = count;
        price = next;
    }
    out->simple = poor == 0;
    out->price = price;
    out->price_a = (cost - paid_a) / den;
    out->price_b = -paid_b / den;
    out->epa = (poor_err_a + gamma * (poor_size_a + cost)) / den + gamma * fabs(out->price_a);
    out->epb = (poor_err_b + gamma * poor_size_b) / den + gamma * fabs(out->price_b);
    for (int s = 0; s < count_all; s++) {
        const supporter *x = &sup[s];
        double u = x->u;
        double pa = out->price_a * u, pb = out->price_b * u;
        double ca = x->ea + u * out->epa + gamma * (fabs(x->a) + fabs(pa));
        double cb = x->ec + u * out->epb + gamma * (fabs(x->c) + fabs(pb));
        if (x->value < price * u)
            keep(r, x->a - pa, x->c - pb, ca, cb);
        else
            keep(r, pa - x->a, pb - x->c, ca, cb);
    }
    return 1;
}

static void pay(run_state *r, int j, const evaluation *e) {
    const mes_problem *p = r->p;
    const double gamma = r->q->tol;
    for (int s = p->indptr[j]; s < p->indptr[j + 1]; s++) {
        int g = p->ballot[s];
        double u = p->points[s];
        if (budget(r, g) < e->price * u) {
            r->v[g].a = r->v[g].c = 0; /* pays all she has: exactly nothing left */
            r->v[g].ea = r->v[g].ec = 0;
        } else {
            double pa = e->price_a * u, pb = e->price_b * u;
            r->v[g].ea += u * e->epa + gamma * (fabs(r->v[g].a) + fabs(pa));
            r->v[g].ec += u * e->epb + gamma * (fabs(r->v[g].c) + fabs(pb));
            r->v[g].a -= pa;
            r->v[g].c -= pb;
        }
    }
}

typedef struct {
    double a, b, ea, eb; /* lower bound on rho: a + b * budget, with error bounds */
    int simple;          /* exactly cost / (total_util * scale), for every budget */
} bound;

static int is_small_integer(double x) { return x == floor(x) && fabs(x) < 9007199254740992.0; }

/*
 * Exact sign of rho_i - rho_j for two simple bounds, or 2 when it cannot be told exactly.
 * Equal prices per unit of utility are common in the first rounds (projects with as many
 * votes: rho = 1 / votes for approval), and float cannot tell a tie from a near-tie.
 */
static int compare_simple(const mes_problem *p, int i, int j) {
    double ci = p->cost[i], cj = p->cost[j], ti = p->total_util[i], tj = p->total_util[j];
    if (!is_small_integer(ti) || !is_small_integer(tj)) return 2;
    /* __int128 (GCC, Clang): products of two integers below 2^53 are exact. */
    __int128 left, right;
    if (p->scale[i] == ci && p->scale[j] == cj) { /* approval: rho = 1 / total_util */
        left = (__int128)tj;
        right = (__int128)ti;
    } else if (p->scale[i] == 1 && p->scale[j] == 1 && is_small_integer(ci) && is_small_integer(cj)) {
        left = (__int128)ci * (__int128)tj; /* points: rho = cost / total_util */
        right = (__int128)cj * (__int128)ti;
    } else {
        return 2;
    }
    return left < right ? -1 : left > right ? 1 : 0;
}

typedef struct {
    double floor; /* the bound's value at this run's budget */
    int rank;
    int project;
} queue_entry;

static int by_floor_then_rank(const void *x, const void *y) {
    const queue_entry *i = x, *j = y;
    if (i->floor < j->floor) return -1;
    if (i->floor > j->floor) return 1;
    return i->rank - j->rank;
}

/* Order the remaining projects by their price bound, cheapest first (no shared state: ctypes
 * releases the GIL, so runs may go on in several threads at once). */
static void order_remaining(const mes_problem *p, const bound *bounds, double b, int *remaining, int n,
                            queue_entry *queue) {
    for (int i = 0; i < n; i++) {
        int j = remaining[i];
        queue[i] = (queue_entry){bounds[j].a + bounds[j].b * b, p->rank[j], j};
    }
    qsort(queue, (size_t)n, sizeof(queue_entry), by_floor_then_rank);
    for (int i = 0; i < n; i++) remaining[i] = queue[i].project;
}

/* Whether project i (price rho_i per unit of utility) beats j; exactly so when both are simple. */
static int cheaper(const mes_problem *p, int i, double rho_i, int j, double rho_j, const bound *bi,
                   const bound *bj) {
    if (bi->simple && bj->simple) {
        int sign = compare_simple(p, i, j);
        if (sign != 2) return sign < 0 || (sign == 0 && p->rank[i] < p->rank[j]);
    }
    return rho_i < rho_j || (rho_i == rho_j && p->rank[i] < p->rank[j]);
}

/*
 * The working memory of runs: every distinct ballot's budget, a copy of the largest project's
 * supporters, and per-project arrays. Add1 makes thousands of runs; allocating these per run (23 MB of
 * budgets at a city-wide vote) made glibc raise its mmap threshold after the first free, serve later
 * runs from the heaps of each worker thread's arena and keep that memory. A workspace is made once per
 * election and worker, reused by its runs (one at a time), and mapped straight from the kernel with
 * mmap so that freeing it returns it to the system and leaves malloc's thresholds alone.
 */
typedef struct {
    int n, longest, m, n_eligible; /* what the workspace was sized for */
    size_t bytes;                  /* of the whole mapping, this header included */
    voter *v;
    supporter *scratch;
    bound *bounds;
    int *remaining;
    int *kept;
    queue_entry *queue;
    evaluation *evals;
} mes_workspace;

static int longest_supporters(const mes_problem *p) {
    int longest = 1;
    for (int j = 0; j < p->m; j++)
        if (p->indptr[j + 1] - p->indptr[j] > longest) longest = p->indptr[j + 1] - p->indptr[j];
    return longest;
}

/* Size of count items of size each, rounded up to a cache line; 0 when it would overflow. */
static size_t block(size_t count, size_t size) {
    if (count == 0) count = 1;
    if (count > ((size_t)-1 - 64) / size) return 0;
    return (count * size + 63) & ~(size_t)63;
}

static void *map_bytes(size_t bytes) {
#if defined(MAP_ANONYMOUS)
    void *memory = mmap(NULL, bytes, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    return memory == MAP_FAILED ? NULL : memory;
#else
    return malloc(bytes);
#endif
}

static void unmap_bytes(void *memory, size_t bytes) {
#if defined(MAP_ANONYMOUS)
    munmap(memory, bytes);
#else
    (void)bytes;
    free(memory);
#endif
}

/* A workspace for runs of problem p, or NULL when out of memory. */
mes_workspace *mes_workspace_new(const mes_problem *p) {
    int longest = longest_supporters(p);
    size_t eligible = (size_t)p->n_eligible + 1;
    size_t sizes[] = {
        block(1, sizeof(mes_workspace)),
        block((size_t)(p->n > 0 ? p->n : 1), sizeof(voter)),
        block((size_t)longest, sizeof(supporter)),
        block((size_t)(p->m > 0 ? p->m : 1), sizeof(bound)),
        block(eligible, sizeof(int)),
        block(eligible, sizeof(int)),
        block(eligible, sizeof(queue_entry)),
        block((size_t)(p->m > 0 ? p->m : 1), sizeof(evaluation)),
    };
    size_t bytes = 0;
    for (size_t i = 0; i < sizeof sizes / sizeof sizes[0]; i++) {
        if (sizes[i] == 0 || bytes > (size_t)-1 - sizes[i]) return NULL;
        bytes += sizes[i];
    }
    char *memory = map_bytes(bytes);
    if (!memory) return NULL;
    mes_workspace *w = (mes_workspace *)memory;
    char *at = memory + sizes[0];
    w->v = (voter *)at;
    at += sizes[1];
    w->scratch = (supporter *)at;
    at += sizes[2];
    w->bounds = (bound *)at;
    at += sizes[3];
    w->remaining = (int *)at;
    at += sizes[4];
    w->kept = (int *)at;
    at += sizes[5];
    w->queue = (queue_entry *)at;
    at += sizes[6];
    w->evals = (evaluation *)at;
    w->n = p->n;
    w->longest = longest;
    w->m = p->m;
    w->n_eligible = p->n_eligible;
    w->bytes = bytes;
    return w;
}

void mes_workspace_free(mes_workspace *w) {
    if (w) unmap_bytes(w, w->bytes);
}

/*
 * Run MES at q->b in workspace w (made for p; one run at a time). Writes the funded projects in
 * order to selected[] with their price per point in price[]; for projects found unaffordable,
 * drop_round[j] (number of projects funded before) and drop_money[j] (what their supporters still
 * had); drop_round[j] is -1 otherwise. Returns 0, or -1 when w was not made for a problem this size.
 */
int mes_run(const mes_problem *p, mes_workspace *w, const mes_params *q, mes_result *res, int *selected,
            double *price, int *drop_round, double *drop_money) {
    int m = p->m;
    if (!w || w->n < p->n || w->m < m || w->n_eligible < p->n_eligible || w->longest < longest_supporters(p))
        return -1;
    run_state r = {p, q, w->v, w->scratch, 0, 0, 0, 0.0};
    bound *bounds = w->bounds;
    int *remaining = w->remaining, *kept = w->kept;
    queue_entry *queue = w->queue;
    evaluation *evals = w->evals;
    for (int g = 0; g < p->n; g++) r.v[g] = (voter){0.0, 1.0, 0.0, 0.0, p->weight[g]};
    for (int j = 0; j < m; j++) drop_round[j] = -1;
    for (int i = 0; i < p->n_eligible; i++) {
        int j = p->eligible[i];
        double v = p->cost[j] / p->total_util[j] / p->scale[j];
        bounds[j] = (bound){v, 0.0, 4 * q->tol * v, 0.0, 1};
        remaining[i] = j;
    }
    int n_remaining = p->n_eligible, n_selected = 0;
    while (n_remaining > 0 && !r.uncertain) {
        order_remaining(p, bounds, q->b, remaining, n_remaining, queue);
        int best = -1, n_kept = 0;
        double best_rho = 0;
        int position = 0;
        for (; position < n_remaining && !r.uncertain; position++) {
            int j = remaining[position];
            double floor_j = bounds[j].a + bounds[j].b * q->b;
            /* Stop at the first bound clearly above the best price; near ones are priced. */
            if (best >= 0 && floor_j - best_rho > q->tol * (fabs(floor_j) + fabs(best_rho))) break;
            double money;
            if (!evaluate(&r, j, &evals[j], &money)) {
                if (!r.uncertain) {
                    drop_round[j] = n_selected;
                    drop_money[j] = money;
                }
                continue;
            }
            kept[n_kept++] = j;
            double s = p->scale[j];
            const evaluation *e = &evals[j];
            double rho_a = e->price_a / s, rho_b = e->price_b / s;
            bounds[j] = (bound){rho_a, rho_b, e->epa / s + q->tol * fabs(rho_a), e->epb / s + q->tol * fabs(rho_b),
                                e->simple};
            double rho = e->price / s;
            if (best < 0 || cheaper(p, j, rho, best, best_rho, &bounds[j], &bounds[best])) {
                best = j;
                best_rho = rho;
            }
        }
        for (; position < n_remaining; position++) kept[n_kept++] = remaining[position];
        if (r.uncertain || best < 0) break;
        /* Every other project stays dearer: those priced this round by their new price, the
         * others by the lower bound from their last pricing (prices only rise within a run). */
        const bound *w = &bounds[best];
        for (int i = 0; i < n_kept; i++) {
            int j = kept[i];
            if (j == best) continue;
            if (w->simple && bounds[j].simple) {
                int sign = compare_simple(p, best, j);
                if (sign < 0 || (sign == 0 && p->rank[best] < p->rank[j])) continue; /* for every b */
                if (sign != 2) {
                    r.uncertain = 1;
                    break;
                }
            }
            const bound *o = &bounds[j];
            keep(&r, w->a - o->a, w->b - o->b, w->ea + o->ea + q->tol * (fabs(w->a) + fabs(o->a)),
                 w->eb + o->eb + q->tol * (fabs(w->b) + fabs(o->b)));
        }
        if (r.uncertain) break;
        pay(&r, best, &evals[best]);
        selected[n_selected] = best;
        price[n_selected] = evals[best].price;
        n_selected++;
        n_remaining = 0;
        for (int i = 0; i < n_kept; i++)
            if (kept[i] != best) remaining[n_remaining++] = kept[i];
    }
    res->n_selected = n_selected;
    res->uncertain = r.uncertain;
    res->has_limit = r.has_limit;
    res->k_max = r.k_max;
    return 0;
}
