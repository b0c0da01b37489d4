/*
 * The validation kernel's fused fast path: every check of one clean block in a single pass.
 *
 * Why C: the numpy kernel (kernel.py) is ~240 MB/s per core because each check is a separate
 * pass over (columns x rows) arrays; dozens of passes, none dominant. One loop that splits a
 * row into fields and checks each field while it is in L1 does the same work several times
 * faster (measured 2.2x per core). Numba would do it too, but costs ~150 MB of RSS per worker
 * process (LLVM); this is a plain C library loaded with ctypes.
 *
 * Contract: the fast path only ever *accepts* a block. It returns the number of rows when
 * every row of the block is well-formed and every checked field is certainly valid; then its
 * outputs (rows, CR count, day numbers, key hashes, row offsets) are exactly what the numpy
 * kernel computes for that block. On anything else — a wrong field count, a NUL byte, a
 * malformed quote or a newline inside quotes, a field that fails (or that the fast grammar
 * cannot decide), a NULL in a NOT NULL column, invalid UTF-8 (checked by the caller) — it
 * returns -1 and the caller runs the numpy kernel on the block, which counts and
 * locates the defects. So the fast grammars need only be sufficient conditions of validity;
 * every one here is the exact grammar restricted to the common case.
 *
 * The semantics (fields, CRLF, NULL tokens, types, key hash) are documented in kernel.py and
 * encoded independently in tests/unit/test_kernel.py's plain-Python reference.
 */
#define PY_SSIZE_T_CLEAN
#include <Python.h> /* only for the module object below: the kernel uses no Python API */
#include <stdint.h>
#include <string.h>
#if defined(__SSE2__)
#include <emmintrin.h>
#endif

#if defined(_WIN32)
#define FS_EXPORT __declspec(dllexport)
#else
#define FS_EXPORT __attribute__((visibility("default")))
#endif

enum {
    K_NONE = 0,    /* no check (nullable unlimited VARCHAR, or the date column itself) */
    K_TEXT = 1,    /* unlimited VARCHAR NOT NULL: only NULLs matter */
    K_INT = 2,
    K_NUMBER = 3,
    K_FLOAT = 4,
    K_BOOL = 5,
    K_DATE = 6,    /* ISO %Y-%m-%d */
    K_TS = 7,
    K_VARCHAR = 8,
};

enum {
    HIGH_NONE = 0,  /* the chunk is ASCII */
    HIGH_UTF8 = 1,  /* UTF-8, already validated by the caller: count characters */
    HIGH_OTHER = 2, /* another encoding: character counts need a decode (slow path) */
};

/* Mirrors FastSpec in fastpath.py (ctypes.Structure): keep the two in the same order. */
typedef struct {
    int32_t ncols;
    int32_t delim;
    int32_t date_index;      /* -1: none */
    int32_t date_nullable;
    int32_t date_width;      /* bytes of the fixed-width date layout */
    int32_t date_y, date_m, date_d; /* offsets of %Y, %m, %d in the layout */
    int32_t null_empty;      /* "" is a NULL token */
    int32_t ntokens;         /* non-empty NULL tokens */
    int32_t nkeys;
    int32_t quote;           /* the quote byte, -1: quoting off */
    const int32_t *kind;     /* [ncols] */
    const int32_t *nullable; /* [ncols] */
    const int32_t *arg1;     /* [ncols] NUMBER: max integer digits; VARCHAR: max chars */
    const int32_t *arg2;     /* [ncols] NUMBER: max fraction digits */
    const int32_t *keys;     /* [nkeys] key column indices, in key order */
    const uint8_t *date_text;  /* [date_width] expected bytes ('0' at digit positions) */
    const uint8_t *date_digit; /* [date_width] 1 at digit positions */
    const int32_t *tok_len;  /* [ntokens] */
    const int32_t *tok_off;  /* [ntokens] offsets into tok_bytes */
    const uint8_t *tok_bytes;
    const uint8_t *cls;      /* [256] 0: field byte, 1: separator or newline, 2: bail out
                                (NUL), 3: the quote */
} FastSpec;

/* ---------------------------------------------------------------------------------------
 * Key hash: exactly kernel.py's _hash_keys (see ref_hash in the tests)
 * ------------------------------------------------------------------------------------- */

#define K1 0x9E3779B97F4A7C15ULL
#define K2 0xBF58476D1CE4E5B9ULL
#define K3 0x94D049BB133111EBULL
#define SEED 0x243F6A8885A308D3ULL

static inline uint64_t finalize(uint64_t x) {
    x = (x ^ (x >> 31)) * K2;
    x = (x ^ (x >> 29)) * K3;
    return x ^ (x >> 32);
}

static inline uint64_t mix(uint64_t x) {
    x *= K1;
    return x ^ (x >> 32);
}

static inline uint64_t load_word(const uint8_t *p, int64_t avail) {
    uint64_t w = 0;
    if (avail >= 8) {
        memcpy(&w, p, 8);
    } else if (avail > 0) {
        memcpy(&w, p, (size_t)avail);
    }
    return w; /* little-endian hosts only: checked by the loader (sys.byteorder) */
}

static inline uint64_t digest(const uint8_t *p, int64_t len) {
    uint64_t total = 0;
    int64_t nw = (len + 7) >> 3;
    for (int64_t m = 0; m < nw; m++) {
        uint64_t salt = (uint64_t)(m + 1) * K1;
        uint64_t w = load_word(p + 8 * m, len - 8 * m);
        total += finalize(w ^ salt) - finalize(salt);
    }
    return total;
}

/* ---------------------------------------------------------------------------------------
 * Field checks: 1 = certainly valid, 0 = let the numpy kernel decide
 * ------------------------------------------------------------------------------------- */

static inline int is_digit(uint8_t c) { return (uint8_t)(c - '0') < 10; }

static int check_int(const uint8_t *p, int64_t n) {
    int64_t i = (n > 0 && (p[0] == '+' || p[0] == '-')) ? 1 : 0;
    int64_t digits = n - i;
    if (digits < 1 || digits > 18) return 0; /* 19+ digits may overflow: numpy/Python decide */
    for (; i < n; i++)
        if (!is_digit(p[i])) return 0;
    return 1;
}

/* The decimal part shared by NUMBER and FLOAT: [+-]?[0-9]*(\.[0-9]*)? from the start.
 * Returns the offset where it stops; *ip and *fp count integer and fraction digits. */
static inline int64_t scan_decimal(const uint8_t *p, int64_t n, int64_t *ip, int64_t *fp) {
    int64_t i = (n > 0 && (p[0] == '+' || p[0] == '-')) ? 1 : 0;
    int64_t a = 0, b = 0;
    while (i < n && is_digit(p[i])) { i++; a++; }
    if (i < n && p[i] == '.') {
        i++;
        while (i < n && is_digit(p[i])) { i++; b++; }
    }
    *ip = a;
    *fp = b;
    return i;
}

/* [+-]?[0-9]*(\.[0-9]*)? with 1+ digits, <= imax integer and <= fmax fraction digits. */
static int check_number(const uint8_t *p, int64_t n, int32_t imax, int32_t fmax) {
    int64_t ip, fp;
    int64_t i = scan_decimal(p, n, &ip, &fp);
    return i == n && ip + fp >= 1 && ip <= imax && fp <= fmax;
}

/* [+-]?([0-9]+\.?[0-9]*|\.[0-9]+)([eE][+-]?[0-9]+)?  (inf/nan: numpy/Python decide) */
static int check_float(const uint8_t *p, int64_t n) {
    int64_t ip, fp;
    int64_t i = scan_decimal(p, n, &ip, &fp);
    if (ip + fp < 1) return 0;
    if (i < n && (p[i] == 'e' || p[i] == 'E')) {
        i++;
        if (i < n && (p[i] == '+' || p[i] == '-')) i++;
        int64_t ed = 0;
        while (i < n && is_digit(p[i])) { i++; ed++; }
        if (ed < 1) return 0;
    }
    return i == n;
}

static int check_bool(const uint8_t *p, int64_t n) {
    static const char *const tokens[] = {"true", "false", "t", "f", "yes", "no",
                                         "y",    "n",     "on", "off", "1", "0"};
    if (n < 1 || n > 5) return 0;
    char low[5];
    for (int64_t i = 0; i < n; i++) {
        uint8_t c = p[i];
        low[i] = (char)((c >= 'A' && c <= 'Z') ? c + 32 : c);
    }
    for (size_t t = 0; t < sizeof(tokens) / sizeof(tokens[0]); t++)
        if ((int64_t)strlen(tokens[t]) == n && memcmp(tokens[t], low, (size_t)n) == 0) return 1;
    return 0;
}

static inline int64_t two(const uint8_t *p) { return (p[0] - '0') * 10 + (p[1] - '0'); }

static inline int valid_ymd(int64_t y, int64_t m, int64_t d) {
    static const int dim[13] = {0, 31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    if (y < 1 || m < 1 || m > 12 || d < 1 || d > dim[m]) return 0;
    if (m == 2 && d == 29) return (y % 4 == 0) && (y % 100 != 0 || y % 400 == 0);
    return 1;
}

/* Days since 1970-01-01 (H. Hinnant's days_from_civil), y >= 1. */
static inline int64_t days_from_civil(int64_t y, int64_t m, int64_t d) {
    y -= m <= 2;
    int64_t era = (y >= 0 ? y : y - 399) / 400;
    int64_t yoe = y - era * 400;
    int64_t mp = (m + 9) % 12;
    int64_t doy = (153 * mp + 2) / 5 + d - 1;
    int64_t doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    return era * 146097 + doe - 719468;
}

static int check_iso_date(const uint8_t *p, int64_t n) {
    if (n != 10 || p[4] != '-' || p[7] != '-') return 0;
    for (int i = 0; i < 10; i++)
        if (i != 4 && i != 7 && !is_digit(p[i])) return 0;
    return valid_ymd(two(p) * 100 + two(p + 2), two(p + 5), two(p + 8));
}

/* YYYY-MM-DD[ T]HH:MM:SS[.f{1,6}] with a real date and time */
static int check_ts(const uint8_t *p, int64_t n) {
    if (n != 19 && (n < 21 || n > 26)) return 0;
    if (p[4] != '-' || p[7] != '-' || (p[10] != ' ' && p[10] != 'T') || p[13] != ':' ||
        p[16] != ':')
        return 0;
    static const int pos[14] = {0, 1, 2, 3, 5, 6, 8, 9, 11, 12, 14, 15, 17, 18};
    for (int i = 0; i < 14; i++)
        if (!is_digit(p[pos[i]])) return 0;
    if (n > 19) {
        if (p[19] != '.') return 0;
        for (int64_t i = 20; i < n; i++)
            if (!is_digit(p[i])) return 0;
    }
    if (two(p + 11) > 23 || two(p + 14) > 59 || two(p + 17) > 59) return 0;
    return valid_ymd(two(p) * 100 + two(p + 2), two(p + 5), two(p + 8));
}

/* ``pairs``: doubled quotes inside a quoted field, each one character. */
static int check_varchar(const uint8_t *p, int64_t n, int64_t pairs, int32_t nmax,
                         int32_t high_mode) {
    if (n - pairs <= nmax) return 1; /* characters <= bytes */
    if (high_mode != HIGH_UTF8) return 0;
    int64_t chars = -pairs;
    for (int64_t i = 0; i < n; i++) chars += (p[i] & 0xC0) != 0x80;
    return chars <= nmax;
}

static int is_null(const FastSpec *s, const uint8_t *p, int64_t n) {
    if (n == 0) return s->null_empty;
    for (int32_t t = 0; t < s->ntokens; t++)
        if (s->tok_len[t] == n && memcmp(s->tok_bytes + s->tok_off[t], p, (size_t)n) == 0)
            return 1;
    return 0;
}

/* The date column: 1 and *day set = a date; 2 = NULL (allowed, no day); 0 = slow path. */
static int date_field(const FastSpec *s, const uint8_t *p, int64_t n, int64_t *day) {
    int null = is_null(s, p, n);
    if (null && !s->date_nullable) return 0; /* a NULL violation: the numpy kernel counts it */
    if (n == s->date_width) {
        int ok = 1;
        for (int32_t i = 0; i < n && ok; i++)
            ok = s->date_digit[i] ? is_digit(p[i]) : p[i] == s->date_text[i];
        if (ok) {
            int64_t y = two(p + s->date_y) * 100 + two(p + s->date_y + 2);
            int64_t m = two(p + s->date_m), d = two(p + s->date_d);
            if (valid_ymd(y, m, d)) {
                *day = days_from_civil(y, m, d);
                return 1;
            }
        }
    }
    return null ? 2 : 0;
}

static int field_ok(const FastSpec *s, int32_t j, const uint8_t *p, int64_t n, int64_t pairs,
                    int32_t high_mode) {
    int32_t kind = s->kind[j];
    if (kind == K_NONE) return 1;
    if (is_null(s, p, n)) return s->nullable[j];
    switch (kind) {
    case K_TEXT: return 1;
    case K_INT: return check_int(p, n);
    case K_NUMBER: return check_number(p, n, s->arg1[j], s->arg2[j]);
    case K_FLOAT: return check_float(p, n);
    case K_BOOL: return check_bool(p, n);
    case K_DATE: return check_iso_date(p, n);
    case K_TS: return check_ts(p, n);
    case K_VARCHAR: return check_varchar(p, n, pairs, s->arg1[j], high_mode);
    default: return 0;
    }
}

/* ---------------------------------------------------------------------------------------
 * The block
 * ------------------------------------------------------------------------------------- */

/* Separators are found 64 bytes at a time: a bit mask of the delimiters, newlines and quotes
 * of a window (independent SSE2 compares on every x86-64, a byte loop elsewhere), consumed
 * with count-trailing-zeros. Unlike a scan per field, the next field's search does not wait on
 * a load at the previous separator, so the cost is a few cycles per field. A NUL byte anywhere
 * declines the block. Bits past the end of the block are set: the end stops a field like a
 * newline. */
typedef struct {
#if defined(__SSE2__)
    __m128i delim, newline, nul, quote;
#endif
    const uint8_t *cls;
    const uint8_t *buf;
    int64_t n;
    int64_t wpos;  /* offset of the current window */
    uint64_t mask; /* its stop bits */
} Scanner;

/* Stop bits of buf[pos:pos+64]; returns 0 and sets *bail when a bail-out byte is there. */
static inline uint64_t window(const Scanner *sc, int64_t pos, int *bail) {
    const uint8_t *p = sc->buf + pos;
    uint64_t stop = 0, bad = 0;
#if defined(__SSE2__)
    if (pos + 64 <= sc->n) {
        for (int k = 0; k < 4; k++) {
            __m128i x = _mm_loadu_si128((const __m128i *)(p + 16 * k));
            uint64_t s = (uint32_t)_mm_movemask_epi8(
                _mm_or_si128(_mm_or_si128(_mm_cmpeq_epi8(x, sc->delim),
                                          _mm_cmpeq_epi8(x, sc->newline)),
                             _mm_cmpeq_epi8(x, sc->quote)));
            uint64_t b = (uint32_t)_mm_movemask_epi8(_mm_cmpeq_epi8(x, sc->nul));
            stop |= s << (16 * k);
            bad |= b << (16 * k);
        }
        *bail = bad != 0;
        return stop;
    }
#endif
    int64_t lim = sc->n - pos; /* >= 0: a window never starts past the end */
    if (lim > 64) lim = 64;
    for (int64_t k = 0; k < lim; k++) {
        uint8_t c = sc->cls[p[k]];
        stop |= (uint64_t)(c == 1 || c == 3) << k;
        bad |= (uint64_t)(c == 2) << k;
    }
    if (lim < 64) stop |= ~0ULL << lim;
    *bail = bad != 0;
    return stop;
}

/* Offset of the first separator, newline or quote at or after i (n at the end), or -1 to
 * bail. */
static inline int64_t next_stop(Scanner *sc, int64_t i) {
    for (;;) {
        int64_t off = i - sc->wpos; /* < 0 when a field started in an earlier window */
        if (off < 0) off = 0;
        if (off < 64) {
            uint64_t m = sc->mask & (~0ULL << off);
            if (m) return sc->wpos + __builtin_ctzll(m);
        }
        sc->wpos += 64;
        int bail;
        sc->mask = window(sc, sc->wpos, &bail);
        if (bail) return -1;
    }
}

/* A quoted field starting at buf[f] (the opening quote): the content's start and length and
 * its doubled quotes; returns the offset just past the closing quote, or -1 to bail (no
 * closing quote in the block, or a newline inside the quotes: rows and lines would differ,
 * which the numpy kernel accounts for). */
static inline int64_t quoted_field(const uint8_t *buf, int64_t n, int64_t f, uint8_t q,
                                   int64_t *start, int64_t *len, int64_t *pairs) {
    int64_t j = f + 1, doubled = 0;
    for (;;) {
        const uint8_t *c = memchr(buf + j, q, (size_t)(n - j));
        if (c == NULL) return -1;
        int64_t k = c - buf;
        if (memchr(buf + j, '\n', (size_t)(k - j)) != NULL) return -1;
        if (k + 1 < n && buf[k + 1] == q) { /* "" inside: one quote character */
            doubled++;
            j = k + 2;
            continue;
        }
        *start = f + 1;
        *len = k - f - 1;
        *pairs = doubled;
        return k + 1;
    }
}

/*
 * Validate buf[0:n] (a record-aligned block; a missing final newline ends the last record).
 * ``high_mode`` says what bytes >= 0x80 may be (HIGH_*). On success returns the number of
 * rows and fills, per row, offsets[r] = base + its start and hashes[r] (when nkeys > 0);
 * days[0:*ndays] are the day numbers of the rows with a date; *cr counts rows ending in CRLF.
 * ``scratch`` holds 3 * ncols entries; outputs must hold n / ncols + 1 rows.
 * Returns -1 (outputs undefined) when the numpy kernel must decide the block.
 *
 * Quoting (CSV, RFC 4180 as kernel.py's numpy path checks it): a field that starts with the
 * quote runs to the closing quote, with only doubled quotes inside, and must be followed by
 * the separator, the newline, or CR + newline; its content (inside the quotes, doubled quotes
 * kept) is what is checked, hashed and compared with the NULL tokens. A quote anywhere else
 * in a field is malformed: the block goes to the numpy kernel.
 */
FS_EXPORT int64_t fs_block(const FastSpec *s, const uint8_t *buf, int64_t n, int64_t base,
                           int32_t high_mode, int64_t *scratch, int64_t *offsets,
                           uint64_t *hashes, int64_t *days, int64_t *ndays, int64_t *cr) {
    const int32_t C = s->ncols;
    const uint8_t delim = (uint8_t)s->delim;
    const int quoting = s->quote >= 0;
    const uint8_t q = (uint8_t)(quoting ? s->quote : 0);
    int64_t *starts = scratch, *lens = scratch + C, *pairs = scratch + 2 * C;
    int64_t rows = 0, nd = 0, ncr = 0;
    int64_t i = 0;
    Scanner sc;
    sc.cls = s->cls;
    sc.buf = buf;
    sc.n = n;
#if defined(__SSE2__)
    sc.delim = _mm_set1_epi8((char)delim);
    sc.newline = _mm_set1_epi8('\n');
    sc.nul = _mm_set1_epi8(0);
    sc.quote = _mm_set1_epi8(quoting ? (char)q : '\n'); /* no quoting: a harmless repeat */
#endif
    {
        int bail;
        sc.wpos = 0;
        sc.mask = window(&sc, 0, &bail);
        if (bail) return -1;
    }
    while (i < n) {
        int64_t row_start = i;
        for (int32_t j = 0; j < C; j++) {
            int was_quoted = quoting && i < n && buf[i] == q;
            if (was_quoted) {
                i = quoted_field(buf, n, i, q, &starts[j], &lens[j], &pairs[j]);
                if (i < 0) return -1;
            } else {
                int64_t f = i;
                i = next_stop(&sc, i);
                if (i < 0) return -1; /* a NUL byte in the block */
                if (quoting && i < n && buf[i] == q) return -1; /* a quote inside a field */
                starts[j] = f;
                lens[j] = i - f;
                pairs[j] = 0;
            }
            /* i is just past the field */
            if (j < C - 1) {
                if (i >= n || buf[i] != delim) return -1; /* too few fields, or junk */
                i++;
                continue;
            }
            if (was_quoted) {
                /* "...": CR + newline, or a CR that ends the block (the final record) */
                if (i < n && buf[i] == '\r' && (i + 1 == n || buf[i + 1] == '\n')) {
                    ncr++;
                    i++;
                }
            } else if (i > row_start && (i >= n || buf[i] == '\n') && buf[i - 1] == '\r') {
                ncr++; /* CRLF: the byte before the newline, within the row */
                lens[j]--;
            }
            if (i < n && buf[i] != '\n') return -1; /* too many fields, or junk */
            i++; /* past the newline (or the end) */
        }
        for (int32_t j = 0; j < C; j++)
            if (!field_ok(s, j, buf + starts[j], lens[j], pairs[j], high_mode)) return -1;
        if (s->date_index >= 0) {
            int64_t day;
            int got = date_field(s, buf + starts[s->date_index], lens[s->date_index], &day);
            if (got == 0) return -1;
            if (got == 1) days[nd++] = day;
        }
        if (s->nkeys > 0) {
            uint64_t h = SEED;
            for (int32_t k = 0; k < s->nkeys; k++) {
                int32_t j = s->keys[k];
                h = mix(h ^ (uint64_t)lens[j]);
                h = mix(h ^ digest(buf + starts[j], lens[j]));
            }
            hashes[rows] = finalize(h);
        }
        offsets[rows] = base + row_start;
        rows++;
    }
    *ndays = nd;
    *cr = ncr;
    return rows;
}

/* Is any byte >= 0x80? (A mapped chunk has no free bytes.isascii(); this loop vectorises.) */
FS_EXPORT int32_t fs_any_high(const uint8_t *buf, int64_t n) {
    uint8_t acc = 0;
    for (int64_t i = 0; i < n; i++) acc |= buf[i];
    return (acc & 0x80) != 0;
}

/* A marker for the loader: the ABI version of FastSpec and fs_block. */
FS_EXPORT int32_t fs_version(void) { return 2; }

/* An importable (empty) module, so the library is an ordinary extension module: importlib
 * finds it and tools that import every module of the package can. The functions above are
 * called through ctypes (fastpath.py). */
static struct PyModuleDef fastscan_module = {
    PyModuleDef_HEAD_INIT, "_fastscan",
    "Compiled fast path of the validation kernel (called through ctypes).", -1, NULL,
};

PyMODINIT_FUNC PyInit__fastscan(void) { return PyModule_Create(&fastscan_module); }
