#ifndef HUB_CHIREDIS_SHIM_H
#define HUB_CHIREDIS_SHIM_H
#include <hiredis/hiredis.h>
#endif
