/* SPDX-License-Identifier: Apache-2.0 */
/* libiotsafe: talk to a GSMA IoT SAFE applet. Include this one header. */
#ifndef IOTSAFE_IOTSAFE_H
#define IOTSAFE_IOTSAFE_H

#include "iotsafe/error.h"
#include "iotsafe/escape.h"
#include "iotsafe/hex.h"
#include "iotsafe/der.h"
#include "iotsafe/tlv.h"
#include "iotsafe/transport.h"
#include "iotsafe/card.h"
#include "iotsafe/commands.h"
#include "iotsafe/uri.h"
#include "iotsafe/keyref.h"
#include "iotsafe/settings.h"
#include "iotsafe/options.h"

#endif
