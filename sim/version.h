/* The program's version; the Makefile passes the git revision. */
#ifndef BS_VERSION_H
#define BS_VERSION_H

#define BS_VERSION "0.1.0"
#ifndef BS_REVISION
#define BS_REVISION "unknown"
#endif

#endif
