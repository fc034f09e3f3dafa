/* The native helper of app.py: the version of the GMP library it is linked against. */
extern const char *const __gmp_version;

const char *gmp_version_string(void) { return __gmp_version; }
