// src/ai/local/text_output: stop strings and what a stream may hand out yet.
#include "text_output.hpp"

#include <gtest/gtest.h>

namespace sluice::ai::local {
namespace {

TEST(TextOutput, HoldsBackATailThatMayStartAStopString) {
  TextOutput out({"END"});
  EXPECT_FALSE(out.append("one E"));
  EXPECT_EQ(out.take_ready(false), "one ");
  EXPECT_FALSE(out.append("x"));  // "Ex" cannot start "END": released
  EXPECT_EQ(out.take_ready(false), "Ex");
  EXPECT_FALSE(out.append(" EN"));
  EXPECT_EQ(out.take_ready(false), " ");
  EXPECT_TRUE(out.append("D and more"));
  EXPECT_EQ(out.take_ready(true), "");
  EXPECT_EQ(out.text(), "one Ex ");
}

TEST(TextOutput, FindsTheEarliestOfSeveralStopsAcrossPieces) {
  TextOutput out({"\n\n", "Lily"});
  EXPECT_FALSE(out.append("named Li"));
  EXPECT_TRUE(out.append("ly.\n\n"));
  EXPECT_EQ(out.text(), "named ");
  EXPECT_EQ(out.take_ready(true), "named ");
}

TEST(TextOutput, NeverSplitsAUtf8Character) {
  TextOutput out;
  const std::string e_acute = "\xC3\xA9";
  out.append("caf\xC3");
  EXPECT_EQ(out.take_ready(false), "caf");
  out.append("\xA9!");
  EXPECT_EQ(out.take_ready(false), e_acute + "!");
  EXPECT_EQ(incomplete_utf8_tail("\xE2\x82"), 2u);   // 2 of the 3 bytes of €
  EXPECT_EQ(incomplete_utf8_tail("\xE2\x82\xAC"), 0u);
  EXPECT_EQ(incomplete_utf8_tail("abc"), 0u);
}

TEST(TextOutput, EverythingIsReleasedAtTheEnd) {
  TextOutput out({"STOP"});
  out.append("almost ST");
  EXPECT_EQ(out.take_ready(false), "almost ");
  EXPECT_EQ(out.take_ready(true), "ST");
}

}  // namespace
}  // namespace sluice::ai::local
