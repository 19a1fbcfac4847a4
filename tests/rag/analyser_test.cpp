#include "sluice/rag/analyser.hpp"

#include <gtest/gtest.h>

namespace sluice::rag {
namespace {

TEST(Analyser, LowerCasesDropsStopWordsAndStems) {
  EXPECT_EQ(analyse("The Running dogs are studying generously"),
            (std::vector<std::string>{"run", "dog", "studi", "generous"}));
  EXPECT_EQ(analyse("the protein's role, in T-cells!"), (std::vector<std::string>{"protein", "role", "t", "cell"}));
  EXPECT_EQ(analyse("COVID-19 in 2020"), (std::vector<std::string>{"covid", "19", "2020"}));
  EXPECT_TRUE(analyse("this is it").empty());
}

TEST(Analyser, KeepsUtf8WordsWhole) {
  auto terms = analyse("Größe café");
  ASSERT_EQ(terms.size(), 2u);
  EXPECT_EQ(terms[1].rfind("caf\xc3", 0), 0u) << "not split at the multi-byte letter";
}

}  // namespace
}  // namespace sluice::rag
